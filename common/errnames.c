/* errnames.c -- the error names a fault-injection rule may use. */
#include "errnames.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

#define E(x) {#x, x},
static const struct {
    const char *name;
    int value;
} names[] = {
    E(E2BIG) E(EACCES) E(EADDRINUSE) E(EADDRNOTAVAIL) E(EAFNOSUPPORT) E(EAGAIN) E(EALREADY) E(EBADF)
        E(EBUSY) E(ECHILD) E(ECONNABORTED) E(ECONNREFUSED) E(ECONNRESET) E(EDEADLK) E(EDESTADDRREQ)
            E(EDQUOT) E(EEXIST) E(EFAULT) E(EFBIG) E(EHOSTUNREACH) E(EINPROGRESS) E(EINTR) E(EINVAL)
                E(EIO) E(EISCONN) E(EISDIR) E(ELIBBAD) E(ELOOP) E(EMFILE) E(EMSGSIZE)
                    E(ENAMETOOLONG) E(ENETUNREACH) E(ENFILE) E(ENOBUFS) E(ENODEV) E(ENOENT)
                        E(ENOEXEC) E(ENOLCK) E(ENOMEM) E(ENOSPC) E(ENOSYS) E(ENOTCONN) E(ENOTDIR)
                            E(ENOTSOCK) E(ENOTTY) E(ENOTSUP) E(ENXIO) E(EOPNOTSUPP) E(EOVERFLOW)
                                E(EOWNERDEAD) E(EPERM) E(EPIPE) E(EPROTO) E(EPROTOTYPE) E(EROFS)
                                    E(ESPIPE) E(ETIMEDOUT) E(ETXTBSY) E(EWOULDBLOCK)
                                        E(EAI_ADDRFAMILY) E(EAI_AGAIN) E(EAI_BADFLAGS) E(EAI_FAIL)
                                            E(EAI_FAMILY) E(EAI_MEMORY) E(EAI_NODATA) E(EAI_NONAME)
                                                E(EAI_OVERFLOW) E(EAI_SERVICE) E(EAI_SOCKTYPE)
                                                    E(EAI_SYSTEM)};
#undef E

int ls_errno_by_name(const char *name, size_t len, int *value)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0) {
            *value = names[i].value;
            return 0;
        }
    return -ENOENT;
}

const char *ls_errno_name(int value)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].value == value) return names[i].name;
    return NULL;
}
