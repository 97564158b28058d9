/* plugin_open_check DEVICE EXPECTED: opens DEVICE through libdeltanet and prints the status and
 * message; exits 0 when the message contains EXPECTED. CI uses it where a plugin is built but no
 * device exists (the HIP plugin: it must load, match the library's version and report no device). */
#include <deltanet/deltanet.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: plugin_open_check DEVICE EXPECTED\n");
        return 2;
    }
    dn_stream *stream = NULL;
    const dn_status status = dn_stream_create(argv[1], NULL, &stream);
    const char *message = status == DN_OK ? "ok" : dn_last_error();
    printf("%s: status %d: %s\n", argv[1], (int)status, message);
    if (stream) dn_stream_destroy(stream);
    return strstr(message, argv[2]) ? 0 : 1;
}
