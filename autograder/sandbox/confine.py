"""Confining one worker, inside the sandbox, before the first line of a student's code runs.

Bubblewrap builds one sandbox per zygote; the zygote gives every worker namespaces of its own
on top of it, so that what one submission does can reach no other, before or after it, whoever
runs the grader:

- a PID namespace whose first process is the worker: it sees and signals only what it started
  itself, and when it dies the kernel kills everything it started (a process that called
  setsid() and double-forked included);
- a mount namespace with a private tmpfs on /tmp and /dev/shm and its own /proc, and an IPC
  namespace (System V shared memory outlives its creator otherwise): nothing written there is
  seen by a later worker;
- no capabilities, no new privileges, not dumpable (no ptrace, no /proc/PID/mem), and a
  seccomp filter (libseccomp, through pyseccomp) that refuses what a student's code never
  needs: namespaces, mounts, ptrace, keyrings, BPF, kernel modules, io_uring, ...

As root the zygote keeps just the capabilities to do this (and to change uid); as an ordinary
user, bubblewrap's user namespace gives it the same ones, over the sandbox only. Either way the
worker gives them all up here.

This module runs inside the sandbox: the standard library and pyseccomp only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                   CLONE_NEWNET)

MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 36, 38, 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

# Refused with EPERM: nothing a notebook about optimisation needs, and each a known way out of a
# sandbox or into another process. clone3 answers ENOSYS instead, so that the C library falls back
# to clone, whose flags the filter can read (clone3 passes them in memory, out of a filter's sight).
DENIED = (
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsmount", "fsconfig", "fspick", "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev",
    "kcmp", "pidfd_getfd", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "open_by_handle_at",
    "name_to_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register", "reboot", "swapon",
    "swapoff", "syslog", "acct", "quotactl", "lookup_dcookie", "iopl", "ioperm",
)

_libc = ctypes.CDLL(None, use_errno=True)


class Unconfinable(Exception):
    """A step of the confinement failed: no student code may run in this process."""


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise Unconfinable(f"{what}: {os.strerror(code)}")


def _prctl(option: int, arg: int, what: str) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)), what)


def become_subreaper() -> None:
    """The zygote adopts what its children leave behind: the worker, once the short-lived process
    that made its PID namespace has ended, and (without bubblewrap) anything that escaped a
    worker's session, so that it can still be found and killed."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1, "prctl(PR_SET_CHILD_SUBREAPER)")


def die_with_parent(sig: int) -> None:
    _prctl(PR_SET_PDEATHSIG, sig, "prctl(PR_SET_PDEATHSIG)")


def new_pid_namespace() -> None:
    """The next child of this process is the first process of a PID namespace of its own."""
    _check(_libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")


class PidNamespaces:
    """A fresh PID namespace for each child, from one process: `unshare` makes one for the children
    once only, so before each further one the children's namespace is set back to this process's
    own (`setns`, which needs the capability in the user namespace that owns it: the zygote starts
    in a PID namespace of its own, made in bubblewrap's innermost user namespace, for that)."""

    def __init__(self):
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self._fresh = True
        # Each namespace's first process: it only has to live (and keeps no copy of this process).
        self.init_program = shutil.which("sleep", path="/usr/bin:/bin")
        if self.init_program is None:
            raise Unconfinable("no sleep program in /usr/bin to be each worker's namespace's first process")

    def next_child(self) -> None:
        if not self._fresh:
            _check(_libc.setns(self._own, CLONE_NEWPID), "setns(CLONE_NEWPID)")
        new_pid_namespace()
        self._fresh = False


def private_mounts(tmp_bytes: int) -> None:
    """Mount and IPC namespaces of this worker's own: a fresh /tmp, /dev/shm and /proc (the last
    showing only this worker's PID namespace)."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare(CLONE_NEWNS | CLONE_NEWIPC)")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making the mounts private")
    options = f"size={tmp_bytes},mode=0755".encode()
    for target in (b"/tmp", b"/dev/shm"):
        if os.path.isdir(target):
            _check(_libc.mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options),
                   f"mounting a tmpfs on {target.decode()}")
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mounting /proc")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid: int | None) -> None:
    """No capability left, in any set, and none to be had again (no new privileges); as root,
    also a uid of the worker's own. Not dumpable: no process of the same uid may trace it or
    read its memory."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        # EINVAL for a capability this kernel lacks; EPERM once CAP_SETPCAP is gone (then the
        # bounding set no longer matters: nothing here can gain a capability again).
        _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0), ctypes.c_ulong(0),
                ctypes.c_ulong(0))
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")
    _prctl(PR_SET_DUMPABLE, 0, "prctl(PR_SET_DUMPABLE)")
    if os.getuid() == 0 or open("/proc/self/status").read().split("CapEff:")[1].split()[0].strip("0"):
        raise Unconfinable("the worker still has root or capabilities")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


class CompiledFilter:
    """The filter as the kernel takes it (classic BPF, compiled by libseccomp once, in the zygote): a
    worker loads it with one prctl instead of compiling it again (a millisecond a worker)."""

    def __init__(self, rules):
        reader, writer = os.pipe()
        try:
            with open(writer, "wb", closefd=False) as out:
                rules.export_bpf(out)
        finally:
            os.close(writer)
        with open(reader, "rb") as source:
            self.program = source.read()
        if not self.program or len(self.program) % 8:
            raise Unconfinable("libseccomp exported no filter")

    def load(self) -> None:
        """Load it into this process (with no new privileges set: `drop_privileges`)."""
        program = _SockFprog(len(self.program) // 8, self.program)
        _check(_libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(program),
                           ctypes.c_ulong(0), ctypes.c_ulong(0)), "loading the seccomp filter")


def syscall_filter():
    """The seccomp filter every worker loads (built once, in the zygote)."""
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (ValueError, OSError):  # a system call this architecture or libseccomp does not know
            continue
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    return CompiledFilter(rules)


def self_test(uid: int | None) -> None:
    """Exit 0 when this sandbox can confine workers as the zygote will (`inside._spawn`, `_child`):
    a PID namespace of its own, then two workers' namespaces from it, each with its first process
    spawned and a worker that mounts, drops every privilege and loads the filter; otherwise print
    why and exit 1. Run by `bwrap.bwrap_status` before any student code."""
    def waited(pid: int) -> int:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    def worker() -> None:
        try:
            private_mounts(1 << 20)
            drop_privileges(uid)
            rules.load()
        except Unconfinable as exc:
            print(exc)
            os._exit(1)
        os._exit(0)

    rules = syscall_filter()
    new_pid_namespace()
    zygote = os.fork()
    if zygote == 0:
        try:
            namespaces = PidNamespaces()
            for _ in range(2):
                namespaces.next_child()
                init = os.posix_spawn(namespaces.init_program, ["sleep", "infinity"], {})
                child = os.fork()
                if child == 0:
                    worker()
                ended = waited(child)
                os.kill(init, 9)
                if ended or waited(init) != -9:
                    os._exit(1)
        except Unconfinable as exc:
            print(exc)
            os._exit(1)
        os._exit(0)
    raise SystemExit(waited(zygote))
