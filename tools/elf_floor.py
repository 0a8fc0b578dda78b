"""Check the extension module inside a wheel before it is tagged (run by tools/build_wheels.sh).

    python elf_floor.py --arch aarch64 --glibc 2.28 faceedge-...-linux_aarch64.whl

Fails unless every ``.so`` in the wheel is built for ARCH, needs glibc symbols no newer than
GLIBC, and needs no shared library beyond glibc's own: libstdc++ and libgcc_s must be linked in,
since an older board's copies would be too old (that is what the zig build is for). Prints the
newest glibc version each module needs, which docs/wheels.md quotes. Uses pyelftools, which
auditwheel already depends on, so it reads aarch64 files on an x86 host.
"""
import argparse
import io
import re
import sys
import zipfile

from elftools.elf.elffile import ELFFile
from elftools.elf.dynamic import DynamicSection
from elftools.elf.gnuversions import GNUVerNeedSection

MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
# glibc's own libraries: present on every glibc system, versioned by glibc itself.
GLIBC_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
              "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def version_key(text):
    return tuple(int(part) for part in text.split("."))


def inspect(data):
    """(machine, needed libraries, glibc versions required) of one ELF file."""
    elf = ELFFile(io.BytesIO(data))
    needed, versions = [], set()
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            needed += [tag.needed for tag in section.iter_tags() if tag.entry.d_tag == "DT_NEEDED"]
        elif isinstance(section, GNUVerNeedSection):
            for _lib, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    match = re.fullmatch(r"GLIBC_([0-9.]+)", aux.name)
                    if match:
                        versions.add(match.group(1))
    return elf["e_machine"], needed, versions


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", required=True, choices=sorted(MACHINES))
    p.add_argument("--glibc", required=True, help="the floor, e.g. 2.28")
    p.add_argument("wheel")
    a = p.parse_args()
    failures, modules = [], 0
    with zipfile.ZipFile(a.wheel) as wheel:
        for name in wheel.namelist():
            if not re.search(r"\.so(\.|$)", name):
                continue
            modules += 1
            machine, needed, versions = inspect(wheel.read(name))
            newest = max(versions, key=version_key) if versions else "none"
            print(f"{a.arch}: {name}: newest glibc symbol version GLIBC_{newest} "
                  f"(floor {a.glibc}); needs {', '.join(needed)}")
            if machine != MACHINES[a.arch]:
                failures.append(f"{name} is {machine}, not {MACHINES[a.arch]}")
            if versions and version_key(newest) > version_key(a.glibc):
                failures.append(f"{name} needs GLIBC_{newest}, newer than the {a.glibc} floor")
            extra = sorted(set(needed) - GLIBC_LIBS)
            if extra:
                failures.append(f"{name} needs {', '.join(extra)} besides glibc")
    if not modules:
        failures.append(f"no shared object in {a.wheel}")
    for f in failures:
        print("ELF FLOOR FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
