"""PyTorch-BigGraph's distributed mode for an :func:`~embedstudio.data.pbg.export_pbg` folder: the settings
checked at export time, the config keys, a launch script and a note saying how to run each machine.

A cluster export adds to the folder::

    run-rank.sh          ./run-rank.sh RANK on each machine (0 on the machine at the init address)
    HOW-TO-RUN.txt       the same steps as :func:`cluster_instructions` prints

PBG 1.0's distributed mode, as its trainer does it (``torchbiggraph/train.py``):

* Every machine runs ``torchbiggraph_train --rank R config.py``; they meet at ``distributed_init_method``
  (``tcp://HOST:PORT``, served by rank 0's processes).
* ``num_partition_servers = -1``: each trainer also serves partitions ``p`` with ``p % machines == rank``
  from memory, which is what PBG recommends (0 would swap partitions through the shared disk, > 0 needs
  partition servers started by hand).
* A lock server on rank 0 hands out buckets whose partitions no other machine holds; all but the P diagonal
  buckets hold two partitions (their heads' and their tails'), so P partitions keep at most P // 2 machines
  busy most of the time: M machines need 2M partitions (PBG's advice is machines = partitions / 2).
* At every epoch's end each rank writes its partitions into ``checkpoint_path`` and at the next epoch reads
  the ones the others wrote: ``checkpoints/`` has to be one shared folder, and since the config names
  absolute paths, the folder must be at the same path on every machine.
* Its collectives wait for a peer for 365 days: a machine that cannot reach rank 0 hangs without a word.
  The script makes a rank > 0 wait for rank 0's port for a bounded time and then say so.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import shlex
import socket

from embedstudio.config import ConfigError
from embedstudio.storage import atomic_write

__all__ = ["HOW_TO_FILE", "LAUNCH_SCRIPT", "WAIT_SECONDS", "check_cluster", "check_init_here",
           "cluster_instructions", "default_interface", "parse_init_method", "write_launch_files"]

LAUNCH_SCRIPT = "run-rank.sh"
HOW_TO_FILE = "HOW-TO-RUN.txt"
WAIT_SECONDS = 600
"""How long a rank > 0 waits for rank 0's address before it gives up with a message."""

_INIT = re.compile(r"tcp://(?P<host>\[[^\]/]*\]|[^\[\]/:]*):(?P<port>[^/]*)/?\Z")
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


# --------------------------------------------------------------------------- checks
def parse_init_method(init_method: str) -> tuple[str, int]:
    """``(host, port)`` of a ``tcp://HOST:PORT`` address (IPv6 hosts in brackets), or a ConfigError."""
    text = str(init_method or "").strip()
    example = "e.g. tcp://10.0.0.1:29500, the address of the machine that runs rank 0"
    m = _INIT.match(text)
    if not m:
        raise ConfigError(f"the init address must be tcp://HOST:PORT ({example}), got {text!r}")
    host, port = m.group("host"), m.group("port")
    if host.startswith("["):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ConfigError(f"the init address {text!r} has {host!r} in brackets, which is not an IPv6 "
                              "address") from None
    if not host:
        raise ConfigError(f"the init address {text!r} has no host ({example})")
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise ConfigError(f"the init address {text!r} has port {port!r}: a port is a whole number from 1 to "
                          "65535 (one the other machines can reach on rank 0's machine)")
    return host, int(port)


def _resolve(host: str, port: int) -> None:
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise ConfigError(f"the init address's host {host!r} cannot be resolved on this machine ({e}): give the "
                          "IP address of the machine that will run rank 0, or a name every machine resolves"
                          ) from None


def check_init_here(host: str, port: int) -> None:
    """For an export run on rank 0's machine: ``host`` is one of this machine's addresses and ``port`` is free
    (the check binds it for a moment). A ConfigError otherwise."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, port))
    except socket.gaierror as e:
        raise ConfigError(f"the init address's host {host!r} cannot be resolved on this machine ({e})") from None
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} is already in use on this machine (an earlier run still going?): "
                              "choose another port for the init address") from None
        if e.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"{host} is not an address of this machine: rank 0 must run on the machine the init "
                              "address names (export there, or leave out the check here)") from None
        raise ConfigError(f"cannot listen on {host}:{port} here: {e.strerror or e}") from None


def check_cluster(machines, partitions: int, init_method: str | None, *, interface: str | None = None,
                  resolve: bool = True, here: bool = False) -> dict:
    """PBG's distributed config keys for ``machines`` machines, after checking what can be checked before any
    machine starts: the machine count, enough partitions to keep every machine busy, a ``tcp://HOST:PORT``
    init address whose host resolves (``resolve``), a network interface name, and with ``here`` that this
    machine can serve the address (see :func:`check_init_here`). Every problem is a ConfigError saying what
    to change; one machine gives ``{}``."""
    if isinstance(machines, bool) or not isinstance(machines, int) or machines < 1:
        raise ConfigError(f"machines must be a whole number of at least 1, got {machines!r}")
    if machines == 1:
        if init_method or interface:
            raise ConfigError("an init address and a network interface are for a cluster: give 2 or more "
                              "machines, or neither")
        return {}
    if partitions < 2 * machines:
        busy = partitions // 2
        fewer = f"use {busy} machines" if busy >= 2 else "train on one machine"
        raise ConfigError(
            f"{machines} machines need at least {2 * machines} partitions, got {partitions}: PBG trains at once only "
            f"buckets that share no partition, and all but the diagonal buckets hold two (their heads' and their "
            f"tails'), so with {partitions} partition{'s' if partitions != 1 else ''} at most {busy} machine"
            f"{'s are' if busy != 1 else ' is'} busy most of the time and the others sit idle. Export with "
            f"{2 * machines} partitions (or more), or {fewer}")
    if not init_method:
        raise ConfigError("a cluster needs an init address tcp://HOST:PORT: the address and a free port of the "
                          "machine that will run rank 0, reachable from the others")
    host, port = parse_init_method(init_method)
    _check_interface(interface)
    if resolve or here:
        _resolve(host, port)
    if here:
        check_init_here(host, port)
    return {"num_machines": machines, "num_partition_servers": -1,
            "distributed_init_method": f"tcp://{_url_host(host)}:{port}"}


def _check_interface(interface: str | None) -> None:
    if interface is not None and not re.fullmatch(r"[A-Za-z0-9_.:@-]{1,15}", interface):
        raise ConfigError(f"network interface {interface!r} is not an interface name (e.g. eth0, ens5, lo)")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def default_interface(host: str) -> str | None:
    """The network interface gloo must use when every rank runs on this machine (a loopback init host:
    gloo would otherwise pick the interface of the machine's hostname and fail to connect); None else."""
    if host.lower() in _LOOPBACK_NAMES:
        return "lo"
    try:
        return "lo" if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- files
def write_launch_files(folder: str, machines: int, init_method: str, interface: str | None = None) -> list[str]:
    """Write ``run-rank.sh`` (executable) and ``HOW-TO-RUN.txt`` into ``folder``, atomically; their paths.
    ``interface`` is the default ``GLOO_SOCKET_IFNAME`` (None: unset, except ``lo`` for a loopback host)."""
    host, port = parse_init_method(init_method)
    if interface is None:
        interface = default_interface(host)
    _check_interface(interface)
    script = os.path.join(folder, LAUNCH_SCRIPT)
    _write(script, _script_text(folder, machines, host, port, interface), executable=True)
    note = os.path.join(folder, HOW_TO_FILE)
    _write(note, cluster_instructions(folder, machines, init_method, interface) + "\n")
    return [script, note]


def cluster_instructions(folder: str, machines: int, init_method: str, interface: str | None = None) -> str:
    """How to run the export in ``folder`` on ``machines`` machines and bring the result back (plain text)."""
    host, port = parse_init_method(init_method)
    if interface is None:
        interface = default_interface(host)
    run = shlex.quote(os.path.join(folder, LAUNCH_SCRIPT))
    ranks = "\n".join(f"     {run} {r}    # on {'the machine at ' + host if r == 0 else f'machine {r + 1}'}"
                      for r in range(min(machines, 3)))
    if machines > 3:
        ranks += f"\n     ...  up to {run} {machines - 1}"
    iface = (f"run-rank.sh sets GLOO_SOCKET_IFNAME={interface}; set it yourself to override"
             if interface else "if gloo picks the wrong network interface, set GLOO_SOCKET_IFNAME (e.g. eth0)")
    return (
        f"PyTorch-BigGraph on {machines} machines; rank 0 serves {init_method}.\n"
        f"1. Every machine needs this folder at the same path, {folder}: the simplest is a shared filesystem\n"
        f"   (NFS or similar) mounted there. Its checkpoints/ MUST be shared: at each epoch's end every machine\n"
        f"   writes its partitions there and at the next epoch reads the others'. Each machine also needs\n"
        f"   PyTorch-BigGraph 1.0 (pip install torchbiggraph h5py 'setuptools<81'); set PBG_TRAIN to its\n"
        f"   torchbiggraph_train if that is not on PATH.\n"
        f"2. Start one rank per machine, rank 0 on {host} (port {port} must be free there and open to the others):\n"
        f"{ranks}\n"
        f"   Ranks above 0 wait up to {WAIT_SECONDS} s for rank 0 (EMBEDSTUDIO_WAIT changes it);\n"
        f"   {iface}.\n"
        f"3. When every rank has finished, bring the model here:\n"
        f"     embedstudio pbg-import {shlex.quote(folder)} -o model.esgraph    (or open the folder in EmbedStudio)")


def _script_text(folder: str, machines: int, host: str, port: int, interface: str | None) -> str:
    q = shlex.quote
    return f"""#!/usr/bin/env bash
# One machine's PyTorch-BigGraph trainer for this export (written by EmbedStudio; see {HOW_TO_FILE}).
#   ./{LAUNCH_SCRIPT} RANK     RANK 0 on {host}, 1 to {machines - 1} on the other machines
# Environment: PBG_TRAIN (default torchbiggraph_train), GLOO_SOCKET_IFNAME (default {interface or 'unset'}),
# EMBEDSTUDIO_WAIT (seconds a rank above 0 waits for rank 0, default {WAIT_SECONDS}).
set -euo pipefail
MACHINES={machines}
FOLDER={q(folder)}
INIT_HOST={q(host)}
INIT_PORT={port}
DEFAULT_IFNAME={q(interface or '')}

say() {{ echo "{LAUNCH_SCRIPT}: $*" >&2; }}
if [ $# -ne 1 ]; then
    say "usage: $0 RANK   (0 on $INIT_HOST, 1 to $((MACHINES - 1)) on the others)"; exit 2
fi
case $1 in
    ''|*[!0-9]*) say "the rank must be a whole number from 0 to $((MACHINES - 1)), got '$1'"; exit 2 ;;
esac
if [ ${{#1}} -gt 6 ] || [ $((10#$1)) -ge "$MACHINES" ]; then
    say "rank $1 is out of range: this export is for $MACHINES machines, ranks 0 to $((MACHINES - 1))"; exit 2
fi
RANK=$((10#$1))

# config.py names this folder by its absolute path: every machine must see it there.
here=$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd -P)
if ! want=$(cd "$FOLDER" 2>/dev/null && pwd -P) || [ "$here" != "$want" ]; then
    say "this export is in $here but config.py names $FOLDER: put the folder at that same path on every" \\
        "machine (a shared filesystem mounted there; checkpoints/ must be shared)"; exit 2
fi

# PBG 1.0's lock-server RPC unpickles Bucket objects, which torch >= 2.6's weights-only torch.load refuses.
export TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1
if [ -z "${{GLOO_SOCKET_IFNAME:-}}" ] && [ -n "$DEFAULT_IFNAME" ]; then
    export GLOO_SOCKET_IFNAME=$DEFAULT_IFNAME
fi
train=${{PBG_TRAIN:-torchbiggraph_train}}
if ! command -v "$train" >/dev/null 2>&1; then
    say "$train not found: install PyTorch-BigGraph 1.0 (pip install torchbiggraph h5py 'setuptools<81') or" \\
        "set PBG_TRAIN to its torchbiggraph_train"; exit 127
fi

if [ "$RANK" -eq 0 ]; then
    # rank 0 serves the init address: it must be this machine's, with the port free
    if command -v python3 >/dev/null 2>&1; then
        if ! problem=$(python3 - "$INIT_HOST" "$INIT_PORT" 2>&1 <<'EOF'
import errno, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, port))
except OSError as e:
    sys.exit({{errno.EADDRINUSE: f"port {{port}} is in use here (an earlier run still going?)",
              errno.EADDRNOTAVAIL: f"{{host}} is not an address of this machine: start rank 0 on {{host}}"}}
             .get(e.errno, f"cannot listen on {{host}}:{{port}}: {{e}}"))
EOF
        ); then
            say "$problem"; exit 3
        fi
    fi
else
    # PBG would wait for rank 0 for a year without a word: wait a bounded time and say why we stop
    wait_s=${{EMBEDSTUDIO_WAIT:-{WAIT_SECONDS}}}
    start=$SECONDS
    until (exec 3<>"/dev/tcp/$INIT_HOST/$INIT_PORT") 2>/dev/null; do
        if [ $((SECONDS - start)) -ge "$wait_s" ]; then
            say "rank $RANK cannot reach rank 0 at $INIT_HOST:$INIT_PORT after $wait_s s: start rank 0 there," \\
                "and check that this machine can reach that address and port (firewall, address)"; exit 3
        fi
        sleep 1
    done
fi

say "rank $RANK of $MACHINES: $train --rank $RANK $FOLDER/config.py"
exec "$train" --rank "$RANK" "$FOLDER/config.py"
"""


def _write(path: str, text: str, executable: bool = False) -> None:
    """Atomically, as every export file; the script gets its x bits before the rename, so no machine can find
    it there but not runnable."""
    with atomic_write(path, executable=executable) as f:
        f.write(text.encode("utf-8"))
