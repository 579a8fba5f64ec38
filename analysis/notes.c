/* The notes of a profile: adding them, and their kinds' names. */
#include "notes.h"

#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

void profile_add_note(struct sc_profile *p, uint32_t kind, uint32_t pid, const char *path,
		      const char *detail)
{
	/* notes are few: the arena takes a new array each time */
	struct sc_note *n = arena_alloc(&p->arena, (p->nnotes + 1) * sizeof(*n));
	if (p->nnotes)
		memcpy(n, p->notes, p->nnotes * sizeof(*n));
	n[p->nnotes] = (struct sc_note){ kind, pid, arena_strdup(&p->arena, path ? path : ""),
					 arena_strdup(&p->arena, detail ? detail : "") };
	p->notes = n;
	p->nnotes++;
}

bool note_kind_known(uint32_t kind)
{
	return kind == NOTE_EXEC_SETID || kind == NOTE_EXEC_CAPS || kind == NOTE_EXEC_STATIC ||
	       kind == NOTE_EXEC_UNRECORDED || kind == NOTE_OWN_MALLOC || kind == NOTE_OWN_ALLOCATOR;
}

const char *note_kind_name(uint32_t kind)
{
	switch (kind) {
	case NOTE_EXEC_SETID: return "setid";
	case NOTE_EXEC_CAPS: return "capabilities";
	case NOTE_EXEC_STATIC: return "static";
	case NOTE_EXEC_UNRECORDED: return "preload_refused";
	case NOTE_OWN_MALLOC: return "own_malloc";
	case NOTE_OWN_ALLOCATOR: return "own_allocator";
	}
	return "unknown";
}

/* Which of Rust's allocator shims the ELF file at path defines (bit 0:
 * __rust_alloc, the entry point of every Rust allocation; 1: __rdl_alloc,
 * the default allocator's, which calls malloc; 2: __rg_alloc, a
 * #[global_allocator]'s, in older compilers). Legacy and v0 mangled names
 * hold these as they are ("_RNv...7___rustc12___rust_alloc"). */
static unsigned rust_shims(const char *path)
{
	unsigned has = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	for (Elf_Scn *scn = elf ? elf_nextscn(elf, NULL) : NULL; scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = d ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			const char *nm = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!nm)
				continue;
			size_t l = strlen(nm);
			/* the name ends in the shim's: not __rust_alloc_zeroed */
			if (l >= 12 && !strcmp(nm + l - 12, "__rust_alloc"))
				has |= 1;
			else if (l >= 11 && !strcmp(nm + l - 11, "__rdl_alloc"))
				has |= 2;
			else if (l >= 10 && !strcmp(nm + l - 10, "__rg_alloc"))
				has |= 4;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return has;
}

void notes_check_rust_allocator(struct sc_profile *p)
{
	if (!(p->flags & PROF_HEAP))
		return;
	for (size_t i = 0; i < p->nnotes; i++)
		if (p->notes[i].kind == NOTE_OWN_MALLOC)
			return;
	const struct sc_module *m = NULL;
	for (size_t i = 0; i < p->nmodules && !m; i++)
		if (p->modules[i].is_main)
			m = &p->modules[i];
	if (!m)
		return;
	unsigned has = rust_shims(m->path);
	/* a global allocator of its own: its shim, or no default one */
	if (!(has & 1) || !((has & 4) || !(has & 2)))
		return;
	for (size_t i = 0; i < p->nlocations; i++)
		for (uint32_t j = 0; j < p->locations[i].nlines; j++) {
			const char *f = p->locations[i].lines[j].func;
			if (f && (strstr(f, "__rust_alloc") || strstr(f, "__rg_alloc")))
				return;   /* its allocations reached malloc */
		}
	profile_add_note(p, NOTE_OWN_ALLOCATOR, p->pid, m->path, "#[global_allocator]");
}
