/* python.c -- finds this process's CPython interpreter and its frame layout, once, lazily.
 *
 * The symbols come from the dynamic symbol table, which even Debian's stripped python3.11 keeps
 * (it links libpython statically into the executable); pyenv-style builds keep them in
 * libpython3.X.so. A libpython loaded RTLD_LOCAL by an embedding host is found by name among
 * the loaded objects. The offsets come from the interpreter's own memory (common/pyframes.c),
 * and a walk of the calling thread's frames proves them before the agent relies on them.
 */
#include "python.h"

#include <ctype.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const struct ls_mem self_mem = {.read = ls_mem_read_pid, .ctx = NULL};

struct libpython_search {
    char path[4096];
};

static int match_libpython(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct libpython_search *s = data;
    const char *name = info->dlpi_name, *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    /* libpython3.12.so.1.0, not libpython3.so (the stable-ABI forwarder has no symbols). */
    if (strncmp(base, "libpython", 9) != 0 || !isdigit((unsigned char)base[9]) || base[10] != '.' ||
        !isdigit((unsigned char)base[11]))
        return 0;
    snprintf(s->path, sizeof s->path, "%s", name);
    return 1;
}

/* Where the interpreter's symbols are: the global scope (*h = RTLD_DEFAULT, which is NULL), or
 * a libpython loaded RTLD_LOCAL (its handle is kept open on purpose: the layout keeps addresses
 * inside it). 0 when found, -1 when this is not Python. */
static int python_handle(void **h)
{
    *h = RTLD_DEFAULT;
    if (dlsym(RTLD_DEFAULT, "Py_Version") || dlsym(RTLD_DEFAULT, "Py_GetVersion")) return 0;
    struct libpython_search s = {{0}};
    if (dl_iterate_phdr(match_libpython, &s) == 0) return -1;
    *h = dlopen(s.path, RTLD_LAZY | RTLD_NOLOAD);
    return *h ? 0 : -1;
}

/* The X.Y of a Python without Py_Version (before 3.11), from the name of the file that holds
 * Py_GetVersion ("libpython3.10.so.1.0", "/usr/bin/python2.7"), as a Py_Version-style number;
 * 0x03000000 when the name does not say. Py_GetVersion itself is not called: it formats into a
 * static buffer that the host may be using at the same moment. */
static uint32_t version_before_311(void *h)
{
    void *fn = dlsym(h, "Py_GetVersion");
    Dl_info info;
    unsigned major, minor;
    char exe[4096];
    const char *name = NULL;
    if (fn && dladdr(fn, &info) && info.dli_fname) name = info.dli_fname;
    if (!name || !strstr(name, "python")) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        name = exe;
    }
    const char *p = strstr(name, "python");
    if (p && sscanf(p, "python%u.%u", &major, &minor) == 2 && major < 256 && minor < 256)
        return major << 24 | minor << 16;
    return 0x03000000;
}

/* Finds name among the symbols of the mapped ELF file (SHT_SYMTAB), or 0. */
static const Elf64_Sym *elf_symbol(const unsigned char *f, size_t size, const char *name)
{
    const Elf64_Ehdr *eh = (const void *)f;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff > size || (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
        return NULL;
    const Elf64_Shdr *sh = (const void *)(f + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
        const Elf64_Shdr *str = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            str->sh_offset > size || str->sh_size > size - str->sh_offset)
            return NULL;
        const Elf64_Sym *sym = (const void *)(f + sh[i].sh_offset);
        const char *names = (const char *)(f + str->sh_offset);
        size_t n = sh[i].sh_size / sizeof *sym, len = strlen(name) + 1;
        for (size_t k = 0; k < n; k++)
            if (sym[k].st_name < str->sh_size && str->sh_size - sym[k].st_name >= len &&
                memcmp(names + sym[k].st_name, name, len) == 0)
                return &sym[k];
    }
    return NULL;
}

/* GCC moves _PyEval_EvalFrameDefault's unlikely paths (among them the eval breaker, where a
 * thread waits for the GIL) into a separate "_PyEval_EvalFrameDefault.cold" piece. Only a full
 * symbol table names it: read the file's own, and trust it only when its hot symbol lands
 * exactly where the loaded one is. Debian's stripped python3.11 has none, so its cold piece
 * stays unknown. */
static void find_cold_part(struct ls_py_layout *L, const Dl_info *info)
{
    const char *paths[2] = {info->dli_fname, "/proc/self/exe"};
    for (int i = 0; i < 2; i++) {
        if (!paths[i] || !paths[i][0]) continue;
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0) continue;
        if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
            close(fd);
            continue;
        }
        size_t size = (size_t)st.st_size;
        const unsigned char *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (f == MAP_FAILED) continue;
        const Elf64_Ehdr *eh = (const void *)f;
        uint64_t bias = eh->e_type == ET_DYN ? (uint64_t)(uintptr_t)info->dli_fbase : 0;
        const Elf64_Sym *hot = elf_symbol(f, size, "_PyEval_EvalFrameDefault");
        const Elf64_Sym *cold = elf_symbol(f, size, "_PyEval_EvalFrameDefault.cold");
        int same_file = hot && hot->st_value + bias == L->eval_start;
        if (same_file && cold && cold->st_size) {
            L->cold_start = cold->st_value + bias;
            L->cold_end = L->cold_start + cold->st_size;
        }
        munmap((void *)f, size);
        if (same_file) return;
    }
}

static void find_eval_loop(struct ls_py_layout *L, void *h)
{
    void *eval = dlsym(h, "_PyEval_EvalFrameDefault");
    Dl_info info;
    const Elf64_Sym *sym = NULL;
    if (!eval || !dladdr1(eval, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym) return;
    L->eval_start = (uint64_t)(uintptr_t)eval;
    L->eval_end = L->eval_start + sym->st_size;
    find_cold_part(L, &info);
}

/* process_vm_readv on ourselves can be refused (a seccomp profile); then nothing is read. */
static int reader_works(char *why, size_t whylen)
{
    uint64_t probe = 0x70796672616d6573ULL, got = 0;
    struct iovec local = {.iov_base = &got, .iov_len = sizeof got};
    struct iovec remote = {.iov_base = &probe, .iov_len = sizeof probe};
    long r = syscall(SYS_process_vm_readv, (long)getpid(), &local, 1UL, &remote, 1UL, 0UL);
    if (r == (long)sizeof got && got == probe) return 0;
    snprintf(why, whylen, "process_vm_readv on this process fails (%s): frames stay native",
             r < 0 ? strerror(errno) : "short read");
    return -EPERM;
}

static uint64_t symbol(void *h, const char *name)
{
    return (uint64_t)(uintptr_t)dlsym(h, name);
}

static int detect(struct ls_py_layout *L, char *why, size_t whylen)
{
    void *h;
    if (python_handle(&h) != 0) {
        snprintf(why, whylen, "not a Python process");
        return -ENOENT;
    }
    const unsigned long *version = dlsym(h, "Py_Version");
    L->version = version ? (uint32_t)*version : version_before_311(h);
    int err = ls_py_supported(L->version, why, whylen);
    if (err) return err;
    if ((err = reader_works(why, whylen)) != 0) return err;
    L->runtime = symbol(h, "_PyRuntime");
    L->code_type = symbol(h, "PyCode_Type");
    L->unicode_type = symbol(h, "PyUnicode_Type");
    L->bytes_type = symbol(h, "PyBytes_Type");
    L->none = symbol(h, "_Py_NoneStruct");
    L->get_tstate = symbol(h, "PyGILState_GetThisThreadState");
    find_eval_loop(L, h);
    if (!L->get_tstate || !L->eval_start) {
        snprintf(why, whylen,
                 "this Python exports no PyGILState_GetThisThreadState or "
                 "_PyEval_EvalFrameDefault: frames stay native");
        return -ENOENT;
    }
    if ((err = ls_py_layout_offsets(L, &self_mem, why, whylen)) != 0) return err;
    int proven;
    err = ls_py_layout_check(L, &self_mem, ls_py_thread_state(L), 0, &proven, why, whylen);
    L->proven_frames = (uint16_t)proven;
    return err;
}

int ls_py_detect(struct ls_py_layout *L, char *why, size_t whylen)
{
    char scratch[1];
    if (whylen == 0) {
        why = scratch;
        whylen = sizeof scratch;
    }
    int saved = errno;
    memset(L, 0, sizeof *L);
    why[0] = '\0';
    int err = detect(L, why, whylen);
    if (err) memset(L, 0, sizeof *L); /* a refused layout must not be half usable */
    errno = saved;
    return err;
}

uint64_t ls_py_thread_state(const struct ls_py_layout *L)
{
    if (!L->get_tstate) return 0;
    void *(*get)(void) = (void *(*)(void))(uintptr_t)L->get_tstate;
    return (uint64_t)(uintptr_t)get();
}
