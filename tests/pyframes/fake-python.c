/* fake-python.c -- a program that is not CPython but exports what detection looks at first.
 *
 * Built three times: with Py_Version = 0x030e0000 (a version the reader does not know), with
 * 0x030d00f0 and nothing else (a 3.13 number without an interpreter behind it), and with no
 * Py_Version at all (not Python). Each must get its one-line notice and carry on unharmed.
 */
#include <stdio.h>

#include "probe.h"

#ifdef FAKE_PY_VERSION
/* Exported (the executable is linked with ENABLE_EXPORTS) so that dlsym finds it. */
const unsigned long Py_Version = FAKE_PY_VERSION;
#endif

int main(void)
{
    static char buf[4096];
    int rc = pyprobe_stack(buf, sizeof buf);
    fputs(buf, stdout);
    printf("rc\t%d\nhost ok\n", rc);
    return 0;
}
