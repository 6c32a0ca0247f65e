"""Threads that keep asking /predict and remember every answer (reload-under-load tests)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One request: when it finished, its status (0 = transport error), the model
    version and the feature date (``as_of``) it answered with."""

    at: float
    status: int
    version: str | None
    as_of: str | None = None
    error: str | None = None


@dataclass
class Hammer:
    """``threads`` clients in a tight loop on ``path`` until the context exits."""

    base_url: str
    path: str = "/predict?ativo=BTC"
    threads: int = 8
    answers: list[list[Answer]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self, log: list[Answer]) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            while not self._stop.is_set():
                try:
                    response = client.get(self.path)
                    body = response.json() if response.status_code == 200 else {}
                    log.append(
                        Answer(
                            time.monotonic(),
                            response.status_code,
                            body.get("model_version"),
                            body.get("as_of"),
                        )
                    )
                except (httpx.HTTPError, ValueError) as error:
                    log.append(
                        Answer(time.monotonic(), 0, None, error=type(error).__name__)
                    )

    def __enter__(self) -> Hammer:
        for _ in range(self.threads):
            log: list[Answer] = []
            self.answers.append(log)
            worker = threading.Thread(target=self._run, args=(log,), daemon=True)
            self._workers.append(worker)
            worker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def all_answers(self) -> list[Answer]:
        return [answer for log in self.answers for answer in list(log)]

    def first_seen(self, value: str, field: str = "version") -> float | None:
        """When ``value`` of ``field`` (version or as_of) was first answered."""
        times = [
            answer.at
            for answer in self.all_answers()
            if getattr(answer, field) == value
        ]
        return min(times) if times else None

    def went_back(self, new: str, field: str = "version") -> list[int]:
        """Threads that saw ``new`` and later an older value again (must be none)."""
        back = []
        for index, log in enumerate(self.answers):
            seen = False
            for answer in log:
                seen = seen or getattr(answer, field) == new
                if seen and getattr(answer, field) not in (new, None):
                    back.append(index)
                    break
        return back

    def check_switch(
        self, version: str, published: float, budget: float, field: str = "version"
    ) -> float:
        """Every answer 200, no thread back on an older value after ``version`` (of
        ``field``: the model version or the features' as_of), and it was served
        within ``budget`` s of ``published``; returns that delay."""
        answers = self.all_answers()
        statuses = Counter(answer.status for answer in answers)
        assert statuses == {200: len(answers)}, statuses
        assert self.went_back(version, field) == []
        first = self.first_seen(version, field)
        assert first is not None, f"{version} never served"
        delay = first - published
        logger.info(
            "%d answers, all 200; %s served %.2f s after it was published",
            len(answers),
            version,
            delay,
        )
        assert delay <= budget, f"{version} served {delay:.2f} s after publishing"
        return delay
