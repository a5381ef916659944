/* embed-local.c -- a host that embeds CPython from a libpython it loaded RTLD_LOCAL.
 *
 * Its symbols are then invisible to dlsym(RTLD_DEFAULT): detection must find the library among
 * the loaded objects. Usage: embed-local /path/libpython3.X.so.1.0 (with PYTHONHOME set). Prints
 * the probe's answer and the interpreter's own thread state for the calling thread.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "probe.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embed-local LIBPYTHON\n");
        return 2;
    }
    void *py = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!py) {
        fprintf(stderr, "embed-local: %s\n", dlerror());
        return 1;
    }
    void (*initialize)(int) = (void (*)(int))dlsym(py, "Py_InitializeEx");
    void *(*get_tstate)(void) = (void *(*)(void))dlsym(py, "PyThreadState_Get");
    if (!initialize || !get_tstate || dlsym(RTLD_DEFAULT, "Py_Version")) {
        fprintf(stderr, "embed-local: libpython is not loaded locally\n");
        return 1;
    }
    initialize(0);
    static char buf[4096];
    int rc = pyprobe_stack(buf, sizeof buf);
    fputs(buf, stdout);
    printf("held\t%p\nrc\t%d\nhost ok\n", get_tstate(), rc);
    return 0;
}
