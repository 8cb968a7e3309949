"""Reading a live process's memory (Linux ``/proc``), for tests that look for secrets in it."""

from __future__ import annotations


def process_memory(pid: int) -> bytes:
    """Every readable, writable mapping of a process (heap, stacks, anonymous memory)."""
    chunks = []
    with open(f"/proc/{pid}/maps", encoding="ascii") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or "w" not in fields[1]:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                chunks.append(mem.read(end - start))
            except (OSError, ValueError, OverflowError):
                continue
    return b"".join(chunks)
