#!/usr/bin/env python3
"""Finds import circles between the modules of every crate in crates/ and bins/.

A module is a source file. `use crate::a::b::{X, Y}` (and `crate::a::X` written inline, and
`super::`) is an arrow from the file to the module that defines each name: a folder's `mod.rs`
that re-exports a name (`pub use sub::X;`) stands for the submodule it takes it from, so a
stage's files importing each other through their folder's re-exports count as the arrows they
are. `mod x;` declarations are not arrows. Test modules (`tests.rs`, `#[cfg(test)]` blocks)
are left out: a test of a module may use the whole crate; so are comments (doc links). Prints every circle (a strongly
connected set of more than one file, or a file that imports itself) and exits 1 when there
is one.

Run from the repository's root: `python3 .ci/import_circles.py`.
"""

import re
import sys
from pathlib import Path

USE = re.compile(r"\buse\s+(crate|super)((?:::\w+)*)(?:::\{([^;]*?)\})?\s*;", re.S)
INLINE = re.compile(r"\b(crate|super)((?:::\w+)+)")
REEXPORT = re.compile(r"^\s*pub(?:\(crate\))?\s+use\s+(\w+)(?:::\{([^;]*?)\}|::(\w+))\s*;", re.M | re.S)


def without_comments(text):
    """The source without `//` comments (doc links name modules but import nothing); string
    literals are kept as they are, a `//` inside one is rare enough in this code to ignore."""
    return re.sub(r"//[^\n]*", "", text)


def without_tests(text):
    """The source without its `#[cfg(test)]` items (a module block or a single item)."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        j = m.end()
        brace = text.find("{", j)
        semi = text.find(";", j)
        if semi != -1 and (brace == -1 or semi < brace):
            i = semi + 1
            continue
        depth, k = 0, brace
        while k < len(text):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
            if depth == 0:
                break
        i = k
    out.append(text[i:])
    return "".join(out)


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = [p for p in src.rglob("*.rs") if p.name != "tests.rs"]
        self.texts = {
            p: without_tests(without_comments(p.read_text(encoding="utf-8"))) for p in self.files
        }

    def module_file(self, parts):
        """The file of module `parts` (a list of names below the crate root), or None."""
        base = self.src.joinpath(*parts) if parts else self.src
        candidates = [base / "mod.rs", base.with_suffix(".rs")] if parts else [
            self.src / "lib.rs", self.src / "main.rs"]
        return next((c for c in candidates if c in self.texts), None)

    def module_of(self, path):
        rel = path.relative_to(self.src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] in ("mod", "lib", "main"):
            parts = parts[:-1]
        return parts

    def defining(self, module_parts, name, seen=()):
        """The file that defines `name` as seen from module `module_parts` (following
        re-exports of a folder's submodules), or the module's own file."""
        file = self.module_file(module_parts)
        if file is None:
            return None
        if (file, name) in seen:
            return file
        sub = self.module_file(module_parts + [name])
        if sub is not None:
            return sub
        for m in REEXPORT.finditer(self.texts[file]):
            names = [n.strip().split(" as ")[-1] for n in (m.group(2) or m.group(3)).split(",")]
            if name in names and self.module_file(module_parts + [m.group(1)]) is not None:
                return self.defining(module_parts + [m.group(1)], name, seen + ((file, name),))
        return file

    def arrows(self):
        graph = {p: set() for p in self.files}
        for path, text in self.texts.items():
            here = self.module_of(path)
            targets = []
            for m in USE.finditer(text):
                targets += [(m.group(1), m.group(2), n) for n in split_names(m.group(3))] or [
                    (m.group(1), m.group(2), None)]
            for m in INLINE.finditer(text):
                targets.append((m.group(1), m.group(2), None))
            for root, path_part, name in targets:
                parts = [p for p in path_part.split("::") if p]
                base = []
                if root == "super":
                    base = here[:-1]
                    while parts and parts[0] == "super":
                        parts, base = parts[1:], base[:-1]
                full = base + parts + ([name] if name and name != "self" else [])
                target = self.resolve(full)
                if target is not None and target != path:
                    graph[path].add(target)
        return graph

    def resolve(self, full):
        """The file a path of names leads to: its longest module prefix, and the file that
        defines the next name there."""
        for cut in range(len(full), -1, -1):
            if self.module_file(full[:cut]) is not None:
                if cut < len(full):
                    return self.defining(full[:cut], full[cut])
                return self.module_file(full[:cut])
        return None


def split_names(group):
    if not group:
        return []
    names = []
    for n in re.split(r",(?![^{]*\})", group):
        n = n.strip()
        if not n:
            continue
        n = n.split(" as ")[0].strip()
        names.append(n.split("::")[0] if "::" in n else n)
    return names


def circles(graph):
    """Strongly connected sets of more than one file (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def main():
    roots = sorted(p.parent for p in Path(".").glob("crates/*/src")) + sorted(
        p.parent for p in Path(".").glob("bins/*/src"))
    total, files = 0, 0
    for root in roots:
        crate = Crate(root / "src")
        files += len(crate.files)
        for group in circles(crate.arrows()):
            total += 1
            print(f"circle in {root}: " + " -> ".join(str(p.relative_to(root)) for p in sorted(group)))
    print(f"{files} modules in {len(roots)} crates: {total} import circle(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
