/*
 * HotSpot disassembler for JDK 25 on Debian: libhsdis0-fcml (apt-get install libhsdis0-fcml) exports only the old
 * decode_instructions(); JDK 9+ calls decode_instructions_virtual(). This shim forwards one to the other.
 *   gcc -shared -fPIC -O2 -o /tmp/hsdis/hsdis-amd64.so docs/perf/hsdis-shim.c -ldl
 *   LD_LIBRARY_PATH=/tmp/hsdis java -XX:+UnlockDiagnosticVMOptions \
 *       -XX:CompileCommand=print,io.specrej.engine.model.CachedAttention::scorePage4 ...
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stddef.h>
typedef void* (*event_cb)(void*, const char*, void*);
typedef int (*printf_cb)(void*, const char*, ...);
typedef void* (*old_fn)(void*, void*, event_cb, void*, printf_cb, void*, const char*);
void* decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char* buffer, uintptr_t length,
        event_cb ev, void* es, printf_cb pf, void* ps, const char* options, int newline) {
    static old_fn f;
    if (!f) { void* h = dlopen("/usr/lib/x86_64-linux-gnu/libhsdis.so.0", RTLD_NOW); if (!h) return NULL; f = (old_fn) dlsym(h, "decode_instructions"); if (!f) return NULL; }
    return f((void*) buffer, (void*) (buffer + length), ev, es, pf, ps, options);
}
