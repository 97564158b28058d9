package org.deltanet;

/** What a generate call did. */
public final class GenerateResult {
    private final long promptTokens;
    private final long generatedTokens;
    private final StopReason stopReason;
    private final double prefillSeconds;
    private final double generateSeconds;

    GenerateResult(dn_generate_result r) {
        promptTokens = r.getPrompt_tokens();
        generatedTokens = r.getGenerated_tokens();
        stopReason = StopReason.of(r.getStop_reason());
        prefillSeconds = r.getPrefill_seconds();
        generateSeconds = r.getGenerate_seconds();
    }

    /** Tokens the prompt encoded to. */
    public long promptTokens() { return promptTokens; }

    /** Tokens generated (including an eos or stop id). */
    public long generatedTokens() { return generatedTokens; }

    /** Why generation stopped. */
    public StopReason stopReason() { return stopReason; }

    /** Seconds spent encoding and prefilling the prompt. */
    public double prefillSeconds() { return prefillSeconds; }

    /** Seconds spent in the generation loop. */
    public double generateSeconds() { return generateSeconds; }
}
