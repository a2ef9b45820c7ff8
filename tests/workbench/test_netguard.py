"""The network guard refuses deliberate connection attempts and logs them.

Audit hooks cannot be removed, so the real hook runs in a fresh interpreter; the pure helpers are tested
in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import netguard

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, logging, socket, sys, urllib.request
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from workbench import netguard
netguard.install()
results = {}

# Real socket calls go to loopback or a Unix socket only. Non-local destinations are presented to the
# guard by raising the very audit events CPython raises before connect/sendto/getaddrinfo (sys.audit), so
# no packet could leave this machine even if the guard were broken.

def attempt(name, fn):
    try:
        fn()
        results[name] = "allowed"
    except netguard.NetworkBlocked:
        results[name] = "blocked"
    except OSError as exc:  # allowed through the guard, failed for an ordinary reason
        results[name] = "allowed:" + type(exc).__name__

def inet_connect(addr, family=socket.AF_INET):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        s.connect(addr)

def audited(event, *args):
    return lambda: sys.audit(event, *args)

def unix_connect():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect("/nonexistent/workbench-netguard.sock")

tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("connect_public", audited("socket.connect", tcp, ("93.184.216.34", 443)))
attempt("connect_loopback", lambda: inet_connect(("127.0.0.1", 9)))
attempt("connect_v6", lambda: inet_connect(("::1", 9, 0, 0), socket.AF_INET6))
attempt("create_connection", lambda: socket.create_connection(("127.0.0.1", 9), timeout=0.5))
attempt("udp_sendto", audited("socket.sendto", udp, ("192.0.2.1", 53)))
attempt("dns_lookup", audited("socket.getaddrinfo", "phone-home.example.com", 443, 0, 0, 0, 0))
attempt("gethostbyname", audited("socket.gethostbyname", "phone-home.example.com"))
attempt("urlopen", lambda: urllib.request.urlopen("http://127.0.0.1:9/", timeout=0.5))
attempt("unix_socket", unix_connect)
attempt("literal_lookup", lambda: socket.getaddrinfo("127.0.0.1", 9))
tcp.close()
udp.close()
print(json.dumps({"results": results,
                  "log": [[a.event, a.target] for a in netguard.blocked_attempts()],
                  "installed": netguard.is_installed()}))
"""


@pytest.fixture(scope="module")
def probe():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.parametrize(
    "name",
    [
        "connect_public",
        "connect_loopback",
        "connect_v6",
        "create_connection",
        "udp_sendto",
        "dns_lookup",
        "gethostbyname",
    ],
)
def test_network_attempts_are_blocked(probe, name):
    assert probe[0]["results"][name] == "blocked"


def test_urllib_fails_with_an_oserror(probe):
    # urllib wraps the refusal in URLError (an OSError): a library phoning home sees "offline".
    assert probe[0]["results"]["urlopen"].startswith(("blocked", "allowed:URLError"))
    assert any(target.startswith("127.0.0.1") for _, target in probe[0]["log"])


def test_local_only_calls_pass_the_guard(probe):
    assert probe[0]["results"]["unix_socket"].startswith("allowed")
    assert probe[0]["results"]["literal_lookup"].startswith("allowed")


def test_attempts_are_recorded_and_logged(probe):
    result, stderr = probe
    assert result["installed"] is True
    events = {event for event, _ in result["log"]}
    assert {"socket.connect", "socket.getaddrinfo", "socket.sendto"} <= events
    assert ["socket.connect", "93.184.216.34:443"] in result["log"]
    assert "blocked network access: socket.connect 93.184.216.34:443" in stderr


def test_cli_main_installs_the_guard():
    code = (
        "from workbench import netguard\n"
        "from workbench.cli import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(netguard.is_installed())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "True", proc.stdout + proc.stderr


def test_local_name_rules():
    assert netguard._is_local_name(None)
    assert netguard._is_local_name("localhost")
    assert netguard._is_local_name(b"127.0.0.1")
    assert netguard._is_local_name("fe80::1%eth0")
    assert not netguard._is_local_name("example.com")
    assert not netguard._is_local_name(b"pypi.org")
