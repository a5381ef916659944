/* preflight.c -- recognise programs LD_PRELOAD cannot observe, and say so instead of reporting
 * nothing. */
#include "preflight.h"

#include <elf.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ls_find_program(const char *cmd, char *out, size_t len)
{
    if (strchr(cmd, '/')) {
        snprintf(out, len, "%s", cmd);
        return access(out, X_OK) == 0 ? 0 : -ENOENT;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup(path), *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", *d ? d : ".", cmd);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) {
            free(copy);
            return 0;
        }
    }
    free(copy);
    return -ENOENT;
}

/* Reads the whole section header table and names to look for Go's marks. */
static int has_go_sections(int fd, const Elf64_Ehdr *eh)
{
    if (eh->e_shoff == 0 || eh->e_shnum == 0 || eh->e_shstrndx >= eh->e_shnum) return 0;
    size_t n = eh->e_shnum;
    Elf64_Shdr *sh = calloc(n, sizeof *sh);
    int found = 0;
    if (pread(fd, sh, n * sizeof *sh, (off_t)eh->e_shoff) == (ssize_t)(n * sizeof *sh)) {
        Elf64_Shdr *strs = &sh[eh->e_shstrndx];
        char *names = malloc(strs->sh_size + 1);
        if (names &&
            pread(fd, names, strs->sh_size, (off_t)strs->sh_offset) == (ssize_t)strs->sh_size) {
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

const char *ls_unobservable_reason(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    if ((st.st_mode & (S_ISUID | S_ISGID)) && getuid() != 0)
        return "it is setuid/setgid, and the loader ignores LD_PRELOAD for such programs";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    Elf64_Ehdr eh;
    const char *why = NULL;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
        !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64) {
        int interp = 0;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (size_t)i * eh.e_phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            if (ph.p_type == PT_INTERP) interp = 1;
        }
        if (has_go_sections(fd, &eh))
            why =
                "it is a Go program, which makes its system calls directly instead of through libc";
        else if (!interp)
            why = "it is statically linked, so there is no dynamic loader to preload the agent";
    }
    close(fd);
    return why;
}

/* The file offset of virtual address va, from the PT_LOAD headers; -1 when none maps it. */
static off_t offset_of(int fd, const Elf64_Ehdr *eh, uint64_t va)
{
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh->e_phoff + (size_t)i * eh->e_phentsize)) !=
            (ssize_t)sizeof ph)
            return -1;
        if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_filesz)
            return (off_t)(ph.p_offset + (va - ph.p_vaddr));
    }
    return -1;
}

int ls_sanitizer_runtime(const char *program, char *out, size_t len)
{
    int fd = open(program, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -ENOENT;
    Elf64_Ehdr eh;
    int found = -ENOENT;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64) {
        close(fd);
        return -ENOENT;
    }
    Elf64_Phdr dyn = {0};
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (size_t)i * eh.e_phentsize)) ==
                (ssize_t)sizeof ph &&
            ph.p_type == PT_DYNAMIC)
            dyn = ph;
    }
    size_t n = dyn.p_filesz / sizeof(Elf64_Dyn);
    Elf64_Dyn *d = n && n < 4096 ? calloc(n, sizeof *d) : NULL;
    if (d && pread(fd, d, n * sizeof *d, (off_t)dyn.p_offset) == (ssize_t)(n * sizeof *d)) {
        uint64_t strtab = 0;
        for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++)
            if (d[i].d_tag == DT_STRTAB) strtab = d[i].d_un.d_ptr;
        off_t base = strtab ? offset_of(fd, &eh, strtab) : -1;
        for (size_t i = 0; base >= 0 && i < n && d[i].d_tag != DT_NULL && found; i++) {
            if (d[i].d_tag != DT_NEEDED) continue;
            char name[128] = "";
            if (pread(fd, name, sizeof name - 1, base + (off_t)d[i].d_un.d_val) <= 0) continue;
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
    close(fd);
    return found;
}
