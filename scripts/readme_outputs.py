#!/usr/bin/env python3
"""Refresh the outputs shown in README.md: runs every `$ cxm …` line of the ```console
blocks with the debug binary and writes what it printed (stdout) below it. The e2e test
tests/e2e/readme.rs checks the README against the binary on every test run."""
import os, re, shlex, subprocess

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(root, "target", "debug", "cxm")
path = os.path.join(root, "README.md")
text = open(path).read()

def render(block):
    out = []
    for line in block.splitlines():
        if line.startswith("$ cxm "):
            out.append(line)
            args = shlex.split(line[2:])[1:]
            p = subprocess.run([exe] + args, cwd=root, capture_output=True, text=True)
            out.extend(l.rstrip() for l in p.stdout.rstrip("\n").splitlines())
            if p.returncode != 0:
                out.append(f"[exit {p.returncode}]")
    return "\n".join(out)

new = re.sub(r"```console\n(.*?)```", lambda m: "```console\n" + render(m.group(1)) + "\n```", text, flags=re.S)
open(path, "w").write(new)
