/* Symbol visibility for libdeltanet's public API. Only functions marked DN_API are exported. */
#ifndef DELTANET_EXPORT_H
#define DELTANET_EXPORT_H

#if defined(DN_STATIC)
#define DN_API
#elif defined(_WIN32)
#if defined(DN_BUILDING_LIBRARY)
#define DN_API __declspec(dllexport)
#else
#define DN_API __declspec(dllimport)
#endif
#else
#define DN_API __attribute__((visibility("default")))
#endif

#endif /* DELTANET_EXPORT_H */
