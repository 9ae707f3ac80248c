#!/usr/bin/env python3
"""Builds the real-text corpora the scanner's false positives are measured on (bench/real-text-findings.ts).

What a coding agent reads, taken from this machine: package documentation and JavaScript/TypeScript from the
repository's node_modules, Python from the system's Python library, the system's shell scripts, and paragraphs of
/usr/share/doc. Nothing of it is labelled: every finding on it is a candidate false positive to read.

    python3 bench/real-text-corpora.py [OUT_DIR]     (default .acc/real-text)

Writes docs-paragraphs.jsonl, js.jsonl, python.jsonl and shell.jsonl, one {"text": …} per line (source files cut
into 3,000-character rows, documentation into paragraphs of 80 to 4,000 characters). The file order is shuffled
with a fixed seed, so the same machine gives the same corpora.
"""
import json
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '.acc', 'real-text')
ROW = 3000


def files_under(bases, keep):
    found = []
    for base in bases:
        for root, _dirs, names in os.walk(base):
            for name in names:
                path = os.path.join(root, name)
                try:
                    if not os.path.islink(path) and keep(path, name):
                        found.append(path)
                except OSError:
                    pass
    found.sort()
    random.Random(1).shuffle(found)
    return found


def read(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def write_rows(name, paths, limit, split):
    rows = 0
    size = 0
    with open(os.path.join(OUT, name), 'w', encoding='utf-8') as out:
        for path in paths:
            text = read(path)
            if text is None:
                continue
            for piece in split(text):
                out.write(json.dumps({'text': piece}) + '\n')
                rows += 1
                size += len(piece)
            if size > limit:
                break
    print(f'{name}: {rows} rows, {size / 1e6:.1f} MB from {len(paths)} candidate files')


def chunks(text):
    return [text[i : i + ROW] for i in range(0, len(text), ROW)]


def paragraphs(text):
    return [p.strip() for p in re.split(r'\n\s*\n', text) if 80 <= len(p.strip()) <= 4000]


def is_shell_script(path, _name):
    size = os.path.getsize(path)
    if size < 200 or size > 300_000:
        return False
    with open(path, 'rb') as f:
        first = f.readline(128)
    return first.startswith(b'#!') and b'sh' in first


def main():
    os.makedirs(OUT, exist_ok=True)
    node_modules = os.path.join(ROOT, 'node_modules')
    docs = files_under(
        ['/usr/share/doc', node_modules],
        lambda _p, n: n.lower().endswith(('.md', '.txt', '.rst')) or n.lower() in ('readme', 'changelog', 'news'),
    )
    write_rows('docs-paragraphs.jsonl', docs, 20_000_000, paragraphs)
    js = files_under(
        [node_modules],
        lambda p, n: n.endswith(('.js', '.ts', '.mjs')) and not n.endswith('.min.js') and 1000 < os.path.getsize(p) < 200_000,
    )
    write_rows('js.jsonl', js, 40_000_000, chunks)
    python = files_under(
        [d for d in ('/usr/lib/python3', '/usr/lib/python3.11', '/usr/lib/python3.12') if os.path.isdir(d)],
        lambda _p, n: n.endswith('.py'),
    )
    write_rows('python.jsonl', python, 20_000_000, chunks)
    shell = files_under(['/usr/share', '/etc', '/usr/lib', '/usr/bin', '/usr/sbin'], is_shell_script)
    write_rows('shell.jsonl', shell, 20_000_000, chunks)


if __name__ == '__main__':
    main()
