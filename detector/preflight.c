/* preflight.c -- recognise programs LD_PRELOAD cannot observe, and say so instead of reporting
 * nothing. */
#include "preflight.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ls_find_program(const char *cmd, char *out, size_t len)
{
    struct stat st;
    if (strchr(cmd, '/')) {
        snprintf(out, len, "%s", cmd);
        if (stat(out, &st) != 0) return -ENOENT;
        if (S_ISDIR(st.st_mode)) return -EISDIR;
        return access(out, X_OK) == 0 ? 0 : -EACCES;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup(path), *save = NULL;
    int unrunnable = 0; /* a file of that name that is not executable: as a shell, say so */
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", *d ? d : ".", cmd);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0) {
                free(copy);
                return 0;
            }
            unrunnable = 1;
        }
    }
    free(copy);
    return unrunnable ? -EACCES : -ENOENT;
}

/* An ELF file being looked at: its first bytes held in memory, where the
 * header, the program headers and (for most programs) the dynamic string
 * table are, so that looking costs a few reads, not one per header. */
struct elf_file {
    int fd;
    size_t head_len;
    unsigned char head[4096];
    Elf64_Ehdr eh;
};

static int elf_read(const struct elf_file *f, void *out, size_t len, uint64_t off)
{
    if (off <= f->head_len && len <= f->head_len - off) {
        memcpy(out, f->head + off, len);
        return 0;
    }
    return pread(f->fd, out, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int elf_phdr(const struct elf_file *f, int i, Elf64_Phdr *ph)
{
    return elf_read(f, ph, sizeof *ph, f->eh.e_phoff + (uint64_t)i * f->eh.e_phentsize);
}

/* Reads the whole section header table and names to look for Go's marks. */
static int has_go_sections(const struct elf_file *f)
{
    const Elf64_Ehdr *eh = &f->eh;
    if (eh->e_shoff == 0 || eh->e_shnum == 0 || eh->e_shstrndx >= eh->e_shnum) return 0;
    size_t n = eh->e_shnum;
    Elf64_Shdr *sh = calloc(n, sizeof *sh);
    int found = 0;
    if (sh && elf_read(f, sh, n * sizeof *sh, eh->e_shoff) == 0) {
        Elf64_Shdr *strs = &sh[eh->e_shstrndx];
        char *names = malloc(strs->sh_size + 1);
        if (names && elf_read(f, names, strs->sh_size, strs->sh_offset) == 0) {
            names[strs->sh_size] = '\0';
            for (size_t i = 0; i < n && !found; i++)
                if (sh[i].sh_name < strs->sh_size &&
                    (!strcmp(names + sh[i].sh_name, ".go.buildinfo") ||
                     !strcmp(names + sh[i].sh_name, ".note.go.buildid")))
                    found = 1;
        }
        free(names);
    }
    free(sh);
    return found;
}

/* Why a 64-bit ELF program cannot be observed, or NULL. */
static const char *elf_unobservable_reason(const struct elf_file *f)
{
    int interp = 0;
    for (int i = 0; i < f->eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (elf_phdr(f, i, &ph) != 0) break;
        if (ph.p_type == PT_INTERP) interp = 1;
    }
    if (has_go_sections(f))
        return "it is a Go program, which makes its system calls directly instead of through libc";
    if (!interp)
        return "it is statically linked, so there is no dynamic loader to preload the agent";
    return NULL;
}

/* The file offset of virtual address va, from the PT_LOAD headers; -1 when none maps it. */
static int64_t offset_of(const struct elf_file *f, uint64_t va)
{
    for (int i = 0; i < f->eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (elf_phdr(f, i, &ph) != 0) return -1;
        if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_filesz)
            return (int64_t)(ph.p_offset + (va - ph.p_vaddr));
    }
    return -1;
}

/* A sanitizer runtime among the program's DT_NEEDED, found where the loader would find it. */
static int elf_sanitizer_runtime(const struct elf_file *f, char *out, size_t len)
{
    int found = -ENOENT;
    Elf64_Phdr dyn = {0};
    for (int i = 0; i < f->eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (elf_phdr(f, i, &ph) == 0 && ph.p_type == PT_DYNAMIC) dyn = ph;
    }
    size_t n = dyn.p_filesz / sizeof(Elf64_Dyn);
    Elf64_Dyn *d = n && n < 4096 ? calloc(n, sizeof *d) : NULL;
    if (d && elf_read(f, d, n * sizeof *d, dyn.p_offset) == 0) {
        uint64_t strtab = 0;
        for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++)
            if (d[i].d_tag == DT_STRTAB) strtab = d[i].d_un.d_ptr;
        int64_t base = strtab ? offset_of(f, strtab) : -1;
        for (size_t i = 0; base >= 0 && i < n && d[i].d_tag != DT_NULL && found; i++) {
            if (d[i].d_tag != DT_NEEDED) continue;
            char name[128] = "";
            uint64_t at = (uint64_t)base + d[i].d_un.d_val;
            /* A name near the end of the file is read as far as the file goes. */
            if (elf_read(f, name, sizeof name - 1, at) != 0 &&
                pread(f->fd, name, sizeof name - 1, (off_t)at) <= 0)
                continue;
            name[sizeof name - 1] = '\0';
            if (strncmp(name, "libasan.so", 10) && strncmp(name, "libtsan.so", 10) &&
                strncmp(name, "libhwasan.so", 12))
                continue;
            /* Where the loader would find it: the multiarch and plain library directories. */
            static const char *const dirs[] = {"/lib/x86_64-linux-gnu",
                                               "/usr/lib/x86_64-linux-gnu",
                                               "/lib/aarch64-linux-gnu",
                                               "/usr/lib/aarch64-linux-gnu",
                                               "/lib64",
                                               "/usr/lib64",
                                               "/lib",
                                               "/usr/lib"};
            for (size_t k = 0; k < sizeof dirs / sizeof dirs[0] && found; k++) {
                snprintf(out, len, "%s/%s", dirs[k], name);
                if (access(out, R_OK) == 0) found = 0;
            }
        }
    }
    free(d);
    return found;
}

void ls_inspect_program(const char *path, struct ls_program_info *info)
{
    memset(info, 0, sizeof *info);
    struct stat st;
    if (stat(path, &st) != 0) return;
    if ((st.st_mode & (S_ISUID | S_ISGID)) && getuid() != 0) {
        info->unobservable =
            "it is setuid/setgid, and the loader ignores LD_PRELOAD for such programs";
        return;
    }
    struct elf_file *f = malloc(sizeof *f);
    if (!f) return;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = f->fd >= 0 ? pread(f->fd, f->head, sizeof f->head, 0) : -1;
    f->head_len = got > 0 ? (size_t)got : 0;
    if (f->head_len >= sizeof f->eh) memcpy(&f->eh, f->head, sizeof f->eh);
    if (f->head_len >= sizeof f->eh && !memcmp(f->eh.e_ident, ELFMAG, SELFMAG) &&
        f->eh.e_ident[EI_CLASS] == ELFCLASS64) {
        info->unobservable = elf_unobservable_reason(f);
        info->needs_sanitizer =
            elf_sanitizer_runtime(f, info->sanitizer, sizeof info->sanitizer) == 0;
    }
    if (f->fd >= 0) close(f->fd);
    free(f);
}
