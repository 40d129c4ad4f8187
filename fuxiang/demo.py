"""`make demo`'s processes: the web server, a real Celery worker and beat, on a broker that
needs no server (kombu's filesystem transport: each message is a file in ``.demo-queue/``) and
the demo's SQLite file. Started together and stopped together: Ctrl+C (or SIGTERM, or any one
of them ending) stops all three, each with its children, so nothing is left running.

    python -m fuxiang.demo [--addr 127.0.0.1:8000]

Not for production: there the worker and beat run on Redis (docs/operations.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_SECONDS = 10


def demo_environment(base: dict[str, str], queue_dir: Path) -> dict[str, str]:
    """The environment of the three processes: the filesystem broker in ``queue_dir``, tasks
    queued (not eager), no Redis, no PostgreSQL (the demo's SQLite file)."""
    env = {
        k: v
        for k, v in base.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_RESULT_BACKEND")
    }
    env.update(
        CELERY_BROKER_URL="filesystem://localhost/",  # (a host: kombu warns without one)
        CELERY_FILESYSTEM_DIR=str(queue_dir),
        CELERY_TASK_ALWAYS_EAGER="0",
        DJANGO_DEBUG=base.get("DJANGO_DEBUG", "1"),
        PYTHONUNBUFFERED="1",
    )
    return env


def commands(python: str, addr: str) -> list[tuple[str, list[str]]]:
    celery = [python, "-m", "celery", "-A", "fuxiang"]
    return [
        (
            "worker",
            # one task at a time (solo pool): SQLite has one writer at a time anyway
            # (--quiet, before the subcommand: no banner)
            [*celery, "--quiet", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-mingle", "--without-gossip", "--hostname=demo@%h"],
        ),
        ("beat", [*celery, "beat", "--loglevel=WARNING", "--pidfile="]),
        ("web", [python, "manage.py", "runserver", "--noreload", addr]),
    ]  # fmt: skip


class Demo:
    def __init__(self, addr: str, queue_dir: Path) -> None:
        self.addr = addr
        self.queue_dir = queue_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def start(self) -> None:
        for folder in ("messages", "control"):
            (self.queue_dir / folder).mkdir(parents=True, exist_ok=True)
        env = demo_environment(dict(os.environ), self.queue_dir)
        for name, argv in commands(sys.executable, self.addr):
            # A session of its own: Ctrl+C reaches only this launcher, which then stops each
            # process group in turn (the worker finishes its task's transaction first).
            self.processes[name] = subprocess.Popen(  # noqa: S603 (our own fixed commands)
                argv, cwd=BASE_DIR, env=env, start_new_session=True
            )

    def wait(self) -> int:
        """Until one process ends or a signal asks to stop; returns the exit status."""
        while not self.stopping:
            for name, process in self.processes.items():
                code = process.poll()
                if code is not None:
                    print(f"演示进程 {name} 已退出（{code}），正在停止其余进程…", flush=True)
                    return code or 1
            time.sleep(0.3)
        return 0

    def stop(self) -> None:
        self.stopping = True
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for process in self.processes.values():
            _signal_group(process, signal.SIGKILL)  # any child left behind in the group


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="福祥码上贷演示：网页、Celery worker 和 beat")
    parser.add_argument("--addr", default=os.environ.get("DEMO_ADDR", "127.0.0.1:8000"))
    parser.add_argument("--queue-dir", type=Path, default=BASE_DIR / ".demo-queue")
    args = parser.parse_args(argv)
    demo = Demo(args.addr, args.queue_dir.resolve())

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        demo.stopping = True

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    demo.start()
    print(
        f"后台：http://{args.addr}/   接口文档：http://{args.addr}/api/docs/\n"
        "任务队列：Celery worker 和 beat 已启动（文件队列，无需 Redis）。按 Ctrl+C 全部停止。",
        flush=True,
    )
    try:
        code = demo.wait()
    finally:
        print("正在停止网页、worker 和 beat…", flush=True)
        demo.stop()
    print("演示已停止。", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
