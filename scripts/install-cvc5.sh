#!/usr/bin/env bash
# Install the cvc5 1.3.1 solver that `--prove` needs, where no cvc5
# executable can be installed: the PyPI wheel `cvc5==1.3.1` carries the
# solver library, and scripts/cvc5-smt.py makes it answer as
# `cvc5 --lang smt` does. Writes the executable target/cvc5/bin/cvc5 and
# prints its path; does nothing when it is already there and answers.
#
#   export CVC5=$(scripts/install-cvc5.sh)
#
# Users with a cvc5 1.3 release binary or package need none of this.
set -euo pipefail
cd "$(dirname "$0")/.."
root=target/cvc5
bin=$root/bin/cvc5
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "cvc5 version 1\.3\."; then
  echo "$PWD/$bin"
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "install-cvc5: python3 is required" >&2
  exit 2
fi
python3 -m venv "$root/venv" >&2
"$root/venv/bin/pip" install --quiet --disable-pip-version-check "cvc5==1.3.1" >&2
mkdir -p "$root/bin"
venv=$(cd "$root/venv" && pwd)
script=$PWD/scripts/cvc5-smt.py
cat > "$bin.tmp" <<WRAPPER
#!/bin/sh
exec "$venv/bin/python" "$script" "\$@"
WRAPPER
chmod +x "$bin.tmp"
mv "$bin.tmp" "$bin"
"$bin" --version >&2
echo "$PWD/$bin"
