"""A program with no event loop: prints a few lines, reads a file, runs a child, exits 3."""
import subprocess
import sys
import time

for i in range(5):
    print(f"line {i}")
time.sleep(0.06)  # a sleep longer than the threshold, but there is no loop to stall
with open(__file__, encoding="utf-8") as f:
    print("first line:", f.readline().strip())
out = subprocess.run(["echo", "from child"], capture_output=True, text=True, check=True).stdout
print(out.strip())
print("stderr line", file=sys.stderr)
sys.stdout.flush()
sys.exit(3)
