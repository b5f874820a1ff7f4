#!/usr/bin/env python3
"""bench.py - mailout and msmtp side by side (make bench).

Usage:
  bench.py [--mailout PATH] [--msmtp PATH] [--runs N] [--delay-ms MS]
           [--big-mb MB] [--big-runs N] [--flush-n N] [--far-mb MB]
           [--no-exim] [--keep]

Workloads, each run N times (--runs, default 5) per client, the clients
alternating, after one untimed warm-up run each:

  1. latency, STARTTLS: a 3-recipient message to Exim (tests/servers/exim.sh,
     AUTH as alice) through proxy.py adding --delay-ms (default 25) each way
     and simulating the TCP handshake;
  2. latency, implicit TLS: the same on Exim's implicit-TLS port.
     Exim offers PIPECONNECT, as it does by default, so mailout's warm-up
     run keeps its EHLO replies and the timed runs use early pipelining;
     the "pipe_connect off" rows show mailout without it;
  3. throughput: a 50 MB message to sink.c (local discard SMTP sink),
     and the ceiling: the file copied as it is into a socket to the sink
     (copy.c);
  4. memory: 1 MB and --big-mb (default 500) MB messages to the sink
     (--big-runs, default 3, runs for the big one);
  5. queue flush: --flush-n (default 300) messages queued with -odq (not
     timed), then one mailout -q sending them to Exim over STARTTLS
     (at most 3 runs);
  6. the 50 MB message from a pipe (cat FILE |), the queue on;
  7. CPU time: a 20 MB message to Exim with STARTTLS and in plain text;
  8. throughput at a distance: a --far-mb (default 10) MB message to the
     sink through proxy.py (--delay-ms each way).
Below the table, the goals of issue 18 as ratios, each from one
alternation of the clients it compares.

Prints a Markdown table: median wall time, throughput (message octets /
median time), the largest peak RSS of the runs (getrusage of the child),
and the mailout/msmtp ratios; then the machine.  Nothing is asserted: a
failed run is shown as such.  Exim needs root; without it (or with
--no-exim) workloads 1-2 are skipped.  Everything runs in a temporary
directory that is removed at the end (--keep: left for inspection), and
every server started is stopped.
"""

import argparse
import itertools
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
EXIM_SH = os.path.join(TOP, "tests", "servers", "exim.sh")
SENDER = "sender@example.org"
# GNU time (the "time" package) measures the peak RSS
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
RCPTS3 = ["alice@example.org", "bob@example.org", "carol@example.org"]
TLS_MB = 20


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


class Bench:
    def __init__(self, opts):
        self.opts = opts
        self.procs = []
        self.exim_dir = None
        self.dir = tempfile.mkdtemp(prefix="mailout-bench-")
        # Exim (Debian-exim) must reach its directory below this one
        os.chmod(self.dir, 0o755)

    # -- servers ---------------------------------------------------------

    def path(self, name):
        return os.path.join(self.dir, name)

    def spawn(self, argv, port_file):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=open(port_file + ".err", "w"))
        self.procs.append(p)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    return int(f.read())
            if p.poll() is not None:
                break
            time.sleep(0.02)
        with open(port_file + ".err") as f:
            raise RuntimeError("%s did not start: %s" % (argv[0], f.read()))

    def compile(self, name):
        exe = self.path(name)
        cc = os.environ.get("CC", "cc")
        subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE,
                                                           name + ".c")],
                       check=True)
        return exe

    def start_sink(self):
        exe = self.compile("sink")
        self.copy = self.compile("copy")
        self.spool = self.compile("spool")
        self.sink_log = self.path("sink.log")
        self.sink_port = self.spawn([exe, "-f", self.path("sink.port"),
                                     "-l", self.sink_log],
                                    self.path("sink.port"))

    def start_proxy(self, name, port):
        pf = self.path("proxy-%s.port" % name)
        return self.spawn([sys.executable, os.path.join(HERE, "proxy.py"),
                           "--target", "127.0.0.1:%d" % port,
                           "--delay-ms", str(self.opts.delay_ms),
                           "--port-file", pf], pf)

    def start_exim(self):
        self.exim_dir = self.path("exim")
        # PIPECONNECT offered, as by a stock Exim (4.94 and later)
        r = subprocess.run([EXIM_SH, "start", self.exim_dir],
                           capture_output=True, text=True,
                           env=dict(os.environ, EXIM_PIPE_CONNECT="1"))
        if r.returncode != 0:
            self.exim_dir = None
            raise RuntimeError(r.stderr.strip())
        env = {}
        with open(os.path.join(self.path("exim"), "env")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                env[k] = v
        self.exim = env

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.exim_dir:
            subprocess.run([EXIM_SH, "stop", self.exim_dir],
                           capture_output=True)
        if self.opts.keep:
            log("left %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- inputs ------------------------------------------------------------

    def message(self, name, octets, rcpts):
        """An LF message of about `octets` octets (76-octet lines)."""
        path = self.path(name)
        head = ("From: Sender <%s>\nTo: %s\nSubject: bench %s\n"
                "Date: Mon, 01 Jan 2024 00:00:00 +0000\n"
                "Message-ID: <bench.%s@example.org>\n\n"
                % (SENDER, ", ".join(rcpts), name, name)).encode()
        line = b"The quick brown fox jumps over the lazy dog. 0123456789"
        line = (line + b" " * 76)[:76] + b"\n"
        block = line * 13797       # about 1 MB
        with open(path, "wb") as f:
            f.write(head)
            left = max(octets - len(head), 0)
            while left >= len(block):
                f.write(block)
                left -= len(block)
            f.write(line * max(1, round(left / len(line))))
        return path

    def conf(self, name, text, mode=0o600):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    # -- running -----------------------------------------------------------

    def run_once(self, argv, stdin_path):
        """(wall seconds, (peak RSS KiB, CPU seconds) or None, exit status,
        stderr). The peak RSS comes from GNU time: a child of this (big)
        Python process would inherit its high-water mark through
        fork/exec. The CPU time (user + sys, to the microsecond) is what
        wait4 says of GNU time and what it ran."""
        err, rss_file = self.path("stderr"), self.path("rss")
        if TIME:
            argv = [TIME, "-q", "-f", "%M", "-o", rss_file] + argv
        with open(stdin_path, "rb") as fin, open(err, "wb") as ferr:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=fin, stdout=subprocess.DEVNULL,
                                 stderr=ferr)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = rc = os.waitstatus_to_exitcode(status)
        with open(err, errors="replace") as f:
            text = f.read().strip()
        rss = None
        if TIME:
            try:
                with open(rss_file) as f:
                    rss = (int(f.read().split()[-1]),
                           usage.ru_utime + usage.ru_stime)
            except (OSError, ValueError, IndexError):
                pass
        return wall, rss, rc, text


NOT_RUN = {"time": None, "cpu": None, "rss": None, "fail": None}


def median(xs):
    return statistics.median(xs) if xs else None


def fmt_time(s):
    if s is None:
        return "-"
    return "%.0f ms" % (s * 1000) if s < 10 else "%.1f s" % s


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2f" % (a / b)


def fmt_mbs(octets, s):
    if not octets or not s:
        return "-"
    return "%.0f" % (octets / s / 1e6)


def fmt_rss(kb):
    return "-" if kb is None else "%.1f MB" % (kb / 1024.0)


def empty_maildir(maildir):
    for sub in ("new", "cur", "tmp"):
        d = os.path.join(maildir, sub)
        for f in os.listdir(d) if os.path.isdir(d) else ():
            os.unlink(os.path.join(d, f))


def fmt_cpu(s):
    return "-" if s is None else "%.0f ms" % (s * 1000)


def workload(b, name, msg, octets, clients, runs, between=None):
    """clients: {"mailout": argv, "msmtp": argv, ...}; between() is
    called after each run.  Returns a result row."""
    res = {}
    for c in clients:
        res[c] = {"times": [], "rss": [], "cpu": [], "fail": None}
    log("%s: %d run(s) each" % (name, runs))
    order = list(clients)
    for i in range(-1, runs):          # -1: the warm-up
        for c in (order if i % 2 else order[::-1]):
            wall, rss, rc, err = b.run_once(clients[c], msg)
            if between:
                between()
            if rc != 0:
                res[c]["fail"] = "exit %d: %s" % (rc, err.splitlines()[-1]
                                                  if err else "")
                continue
            if i >= 0:
                res[c]["times"].append(wall)
                if rss is not None:
                    res[c]["rss"].append(rss[0])
                    res[c]["cpu"].append(rss[1])
        time.sleep(0.05)
    row = {"name": name, "runs": runs, "octets": octets}
    for c in clients:
        r = res[c]
        row[c] = {"time": median(r["times"]), "cpu": median(r["cpu"]),
                  "rss": max(r["rss"]) if r["rss"] else None,
                  "fail": r["fail"]}
        if r["fail"]:
            log("%s: %s failed: %s" % (name, c, r["fail"]))
    return row


def flush_row(b, opts, conf, port, n, runs):
    """N messages queued (-odq, not timed), then one timed mailout -q
    sending them all to Exim (one connection: the entries share their
    settings). The queue must be empty after each run."""
    qdir = b.path("flush-queue")
    msg = b.message("flush", 2000, RCPTS3[:1])
    res = {"times": [], "rss": [], "cpu": [], "fail": None}
    log("queue flush: %d run(s) of %d messages" % (runs, n))
    for i in range(-1, runs):          # -1: the warm-up
        shutil.rmtree(qdir, ignore_errors=True)
        for _ in range(n):
            with open(msg, "rb") as fin:
                subprocess.run([opts.mailout, "--config", conf, "-odq",
                                "--queue-dir", qdir, "--host", "127.0.0.1",
                                "--port", str(port), "-f", SENDER,
                                RCPTS3[0]], stdin=fin, check=True)
        wall, rss, rc, err = b.run_once([opts.mailout, "--config", conf,
                                         "-q", "--queue-dir", qdir], msg)
        left = [f for f in os.listdir(qdir) if f.endswith(".env")]
        if rc != 0 or left:
            res["fail"] = "exit %d, %d left: %s" % (rc, len(left), err)
            log("queue flush failed: %s" % res["fail"])
            continue
        if i >= 0:
            res["times"].append(wall)
            if rss is not None:
                res["rss"].append(rss[0])
                res["cpu"].append(rss[1])
    r = res
    return {"name": "queue flush: %d queued messages to Exim (STARTTLS), "
            "one mailout -q" % n, "runs": runs, "octets": None, "n": n,
            "mailout": {"time": median(r["times"]), "cpu": median(r["cpu"]),
                        "rss": max(r["rss"]) if r["rss"] else None,
                        "fail": r["fail"]}}


def pipe_row(b, msg, octets, clients, runs, rows, goals, notes):
    """The message from a pipe (cat FILE |), the queue on (mailout's
    default; here its own directory); mailout from the file again in the
    same alternation, for the ratio. The plain copy (copy.c) from the
    pipe and from the file shows what the pipe costs by itself: cat's
    copy of every octet on the same CPUs; spool.c, what writing the
    queue's copy costs by itself (notes below the goals)."""
    def piped(argv):
        return ["sh", "-c", 'cat "$0" | exec "$@"', msg] + argv

    ceiling = [b.copy, str(b.sink_port), str(octets)]
    row = workload(b, "throughput: 50 MB message from a pipe, queue on, "
                   "discard sink", msg, octets,
                   {"mailout": piped(clients["mailout"]),
                    "msmtp": piped(clients["msmtp"]),
                    "file": clients["mailout"],
                    "copy": piped(ceiling), "copy file": ceiling,
                    "spool": [b.spool, tempfile.gettempdir(), str(octets)]},
                   runs)
    rows.append(row)
    goals.append(("50 MB from a pipe, queue on: mailout time / from the "
                  "file (%s)" % fmt_time(row["file"]["time"]), "<= 1.25",
                  fmt_ratio(row["mailout"]["time"], row["file"]["time"])))
    notes.append("the pipe by itself: the plain copy from a pipe / from the "
                 "file: %s (%s / %s)"
                 % (fmt_ratio(row["copy"]["time"], row["copy file"]["time"]),
                    fmt_time(row["copy"]["time"]),
                    fmt_time(row["copy file"]["time"])))
    file_time, spool_time = row["file"]["time"], row["spool"]["time"]
    notes.append("the queue's copy by itself: 50 MB written to an unlinked "
                 "file in %s: %s; the file case plus that / the file case: "
                 "%s" % (tempfile.gettempdir(), fmt_time(spool_time),
                         fmt_ratio(file_time + spool_time, file_time)
                         if file_time and spool_time else "-"))


def far_row(b, opts, sconf, rows):
    """A message to the sink through the latency proxy: what a round trip
    per chunk would cost (BDAT chunks stream under PIPELINING)."""
    port = b.start_proxy("far", b.sink_port)
    log("writing a %d MB message" % opts.far_mb)
    msg = b.message("far", opts.far_mb * 1000 * 1000, ["a@example.com"])
    far = b.conf("msmtp-far.conf", open(sconf).read().replace(
        "port %d\n" % b.sink_port, "port %d\n" % port))
    rows.append(workload(
        b, "throughput: %d MB message, discard sink, +%g ms each way"
        % (opts.far_mb, opts.delay_ms), msg, os.path.getsize(msg),
        {"mailout": [opts.mailout, "--host", "127.0.0.1", "--port",
                     str(port), "--tls", "off", "--queue-dir",
                     b.path("queue"), "-f", SENDER, "a@example.com"],
         "msmtp": [opts.msmtp, "-C", far, "-f", SENDER, "a@example.com"]},
        opts.runs))
    os.unlink(msg)


def auth_mechanisms(b, mailout_argv, msmtp_argv, msg):
    """Which AUTH mechanism each client picked (from -v / --debug)."""
    out = {}
    _, _, _, err = b.run_once(mailout_argv[:1] + ["-v"] + mailout_argv[1:],
                              msg)
    m = re.search(r"C: AUTH (\S+)", err)
    out["mailout"] = m.group(1) if m else "?"
    r = subprocess.run(msmtp_argv[:1] + ["--debug"] + msmtp_argv[1:],
                       stdin=open(msg, "rb"), capture_output=True, text=True,
                       errors="replace")
    m = re.search(r"--> AUTH (\S+)", r.stdout + r.stderr)
    out["msmtp"] = m.group(1) if m else "?"
    return out


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d CPU(s) (nproc), %s, Linux %s" % (
        len(os.sched_getaffinity(0)), model, platform.release())


def version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True)
        return (r.stdout or r.stderr).splitlines()[0].strip()
    except (OSError, IndexError):
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mailout", default=os.path.join(TOP, "src", "mailout"))
    ap.add_argument("--msmtp", default="msmtp")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--delay-ms", type=float, default=25.0)
    ap.add_argument("--big-mb", type=int, default=500)
    ap.add_argument("--big-runs", type=int, default=3)
    ap.add_argument("--flush-n", type=int, default=300)
    ap.add_argument("--far-mb", type=int, default=10)
    ap.add_argument("--no-exim", action="store_true")
    ap.add_argument("--keep", action="store_true")
    opts = ap.parse_args()
    opts.mailout = os.path.abspath(opts.mailout)
    if TIME is None:
        log("/usr/bin/time (GNU time) missing: no peak RSS")
    if not shutil.which(opts.msmtp):
        sys.exit("bench: %s not found (make deps installs msmtp)"
                 % opts.msmtp)

    b = Bench(opts)

    def on_signal(signum, frame):
        b.stop()
        os._exit(1)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rows, notes, goals = [], [], []
    try:
        b.start_sink()
        exim = None
        if opts.no_exim:
            notes.append("Exim workloads skipped (--no-exim)")
        elif os.geteuid() != 0:
            notes.append("Exim workloads skipped (Exim needs root)")
        else:
            try:
                b.start_exim()
                exim = b.exim
            except RuntimeError as e:
                notes.append("Exim workloads skipped: %s" % e)

        # mailout reads no configuration but the one given
        os.environ["MAILOUT_CONFIG"] = "/dev/null"
        os.environ["XDG_CONFIG_HOME"] = b.path("xdg-config")
        os.environ["XDG_STATE_HOME"] = b.path("xdg-state")
        os.environ["XDG_CACHE_HOME"] = b.path("xdg-cache")
        os.environ["HOME"] = b.path("home")   # no ~/.msmtprc either
        os.makedirs(os.environ["HOME"], exist_ok=True)

        if exim:
            ca = os.path.join(exim["EXIM_CERTS"], "ca.pem")
            small = b.message("small", 2000, RCPTS3)
            conf = "[defaults]\nuser = alice\npassword = secret-pw\n" \
                "tls_trust_file = %s\n" % ca
            mconfs = {True: b.conf("mailout-exim.conf", conf),
                      False: b.conf("mailout-exim-nopc.conf",
                                    conf + "pipe_connect = off\n")}
            # "on" lets each client pick (mailout: CRAM-MD5 first, as its
            # order says; msmtp: PLAIN); "plain" compares the protocol
            # work alone, the same mechanism for both.
            for (label, port, mode), (auth, early) in itertools.product((
                    ("STARTTLS", int(exim["EXIM_PORT"]), "starttls"),
                    ("implicit TLS", int(exim["EXIM_TLS_PORT"]),
                     "implicit")), (("on", True), ("plain", True),
                                    ("plain", False))):
                pport = b.start_proxy(mode, port)
                mailout = [opts.mailout, "--config", mconfs[early],
                           "--host", "127.0.0.1", "--port", str(pport),
                           "--tls", mode, "--auth", auth,
                           "-f", SENDER] + RCPTS3
                sconf = b.conf("msmtp-%s-%s.conf" % (mode, auth),
                               "account bench\nhost 127.0.0.1\nport %d\n"
                               "from %s\nauth %s\nuser alice\n"
                               "password secret-pw\ntls on\n"
                               "tls_starttls %s\ntls_trust_file %s\n"
                               "account default : bench\n"
                               % (pport, SENDER, auth,
                                  "on" if mode == "starttls" else "off", ca))
                msmtp = [opts.msmtp, "-C", sconf, "-f", SENDER] + RCPTS3
                mech = auth_mechanisms(b, mailout, msmtp, small)
                if early:
                    notes.append("%s, auth %s: AUTH mailout %s, msmtp %s"
                                 % (label, auth, mech["mailout"],
                                    mech["msmtp"]))
                rows.append(workload(
                    b, "3 recipients, %s + AUTH %s, Exim, +%g ms each way%s"
                    % (label, auth, opts.delay_ms,
                       "" if early else ", mailout pipe_connect off"),
                    small, None, {"mailout": mailout, "msmtp": msmtp},
                    opts.runs))

            fconf = b.conf("mailout-flush.conf",
                           "[defaults]\ntls_trust_file = %s\n" % ca)
            row = flush_row(b, opts, fconf, int(exim["EXIM_PORT"]),
                            opts.flush_n, min(opts.runs, 3))
            rows.append(row)
            t = row["mailout"]["time"]
            goals.append(("queue flush: messages per second (300 in 1.6 s "
                          "before)", ">= 190",
                          "%.0f (%d in %s)" % (row["n"] / t, row["n"],
                                               fmt_time(t)) if t else "-"))

            # CPU time of the TLS layer: the same message to Exim with
            # STARTTLS and in plain text (its maildir emptied each time)
            log("writing a %d MB message" % TLS_MB)
            big = b.message("tls", TLS_MB * 1000 * 1000, RCPTS3[:1])
            maildir = exim["EXIM_MAILDIR"]
            to_exim = [opts.mailout, "--config", fconf, "--queue-dir",
                       b.path("queue"), "--host", "127.0.0.1", "--port",
                       exim["EXIM_PORT"], "-f", SENDER, RCPTS3[0]]
            sconf = b.conf("msmtp-exim.conf",
                           "account exim\nhost 127.0.0.1\nport %s\n"
                           "from %s\nauth off\ntls on\ntls_starttls on\n"
                           "tls_trust_file %s\naccount default : exim\n"
                           % (exim["EXIM_PORT"], SENDER, ca))
            row = workload(b, "CPU: %d MB message to Exim, STARTTLS (plain "
                           "text: goals table)" % TLS_MB, big,
                           os.path.getsize(big),
                           {"mailout": to_exim + ["--tls", "starttls"],
                            "msmtp": [opts.msmtp, "-C", sconf, "-f", SENDER,
                                      RCPTS3[0]],
                            "plain": to_exim + ["--tls", "off"]},
                           opts.runs, between=lambda: empty_maildir(maildir))
            rows.append(row)
            goals.append(("%d MB to Exim: mailout CPU time with STARTTLS / "
                          "in plain text (%s / %s)" % (
                              TLS_MB, fmt_cpu(row["mailout"]["cpu"]),
                              fmt_cpu(row["plain"]["cpu"])), "<= 1.5",
                          fmt_ratio(row["mailout"]["cpu"],
                                    row["plain"]["cpu"])))
            os.unlink(big)

        sconf = b.conf("msmtp-sink.conf",
                       "account sink\nhost 127.0.0.1\nport %d\nfrom %s\n"
                       "auth off\ntls off\naccount default : sink\n"
                       % (b.sink_port, SENDER))

        def sink_clients():
            return {"mailout": [opts.mailout, "--host", "127.0.0.1",
                                "--port", str(b.sink_port), "--tls", "off",
                                "--queue-dir", b.path("queue"),
                                "-f", SENDER, "a@example.com"],
                    "msmtp": [opts.msmtp, "-C", sconf, "-f", SENDER,
                              "a@example.com"]}

        for mb, runs, what in ((50, opts.runs, "throughput"),
                               (1, opts.runs, "memory"),
                               (opts.big_mb, min(opts.runs, opts.big_runs),
                                "memory")):
            log("writing a %d MB message" % mb)
            msg = b.message("m%d" % mb, mb * 1000 * 1000, ["a@example.com"])
            octets = os.path.getsize(msg)
            clients = sink_clients()
            if what == "throughput":
                clients["ceiling"] = [b.copy, str(b.sink_port)]
            row = workload(b, "%s: %d MB message, discard sink"
                           % (what, mb), msg, octets, clients, runs)
            rows.append(row)
            if what == "throughput":
                goals.append(("50 MB from a file: msmtp time / mailout "
                              "time", ">= 20",
                              fmt_ratio(row["msmtp"]["time"],
                                        row["mailout"]["time"])))
                goals.append(("50 MB from a file: mailout throughput / "
                              "ceiling's (the file copied as it is into a "
                              "socket to the sink, copy.c: %s)"
                              % fmt_time(row["ceiling"]["time"]), ">= 0.90",
                              fmt_ratio(row["ceiling"]["time"],
                                        row["mailout"]["time"])))
                pipe_row(b, msg, octets, sink_clients(), runs, rows, goals,
                         notes)
            os.unlink(msg)
        far_row(b, opts, sconf, rows)
    finally:
        b.stop()

    print()
    print("| workload | runs | mailout | msmtp | time ratio | mailout MB/s "
          "| msmtp MB/s | mailout peak RSS | msmtp peak RSS | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m, s = r["mailout"], r.get("msmtp", NOT_RUN)
        cells = [r["name"], str(r["runs"]),
                 "FAILED" if m["fail"] and m["time"] is None
                 else fmt_time(m["time"]),
                 "FAILED" if s["fail"] and s["time"] is None
                 else fmt_time(s["time"]),
                 fmt_ratio(m["time"], s["time"]),
                 fmt_mbs(r["octets"], m["time"]),
                 fmt_mbs(r["octets"], s["time"]),
                 fmt_rss(m["rss"]), fmt_rss(s["rss"]),
                 fmt_ratio(m["rss"], s["rss"])]
        print("| " + " | ".join(cells) + " |")
    print()
    print("Median wall time of the runs (process start to exit); MB/s = "
          "message octets (LF input) / median time; peak RSS = the largest "
          "ru_maxrss of the runs; ratios are mailout / msmtp (time ratio "
          "< 1: mailout faster).")
    print()
    print("| goal (issue 18) | target | measured |")
    print("|---|---|---|")
    for g in goals:
        print("| %s | %s | %s |" % g)
    print()
    for n in notes:
        print("- " + n)
    print("- machine: %s" % machine())
    print("- %s; %s; %s" % (version([opts.mailout, "--version"]),
                            version([opts.msmtp, "--version"]),
                            version(["exim4", "-bV"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
