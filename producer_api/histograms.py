"""Duration histograms as the analytics rollups keep them: counts per log-scale bin.

`counts[k]` is how many timings fell in bin k (the bins are the database's
job_duration_bin(); job_duration_bin_seconds() says what each stands for). Histograms of any
periods add up, so a window's is the sum of its buckets'.
"""

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from operator import add


class Histogram:
    def __init__(self) -> None:
        self.counts: list[int] = []

    def add(self, counts: Sequence[int]) -> None:
        if len(counts) > len(self.counts):
            self.counts.extend([0] * (len(counts) - len(self.counts)))
        # Element-wise in C: a 7d request adds a few hundred histograms of ~100 bins.
        self.counts[: len(counts)] = map(add, self.counts, counts)

    def nearest_rank_bins(self, percents: Sequence[int]) -> list[int | None]:
        """The bin of each percentile: the p-th of n timings is the smallest bin holding at
        least ⌈p·n/100⌉ of them. None for an empty histogram."""
        upto = list(accumulate(self.counts))
        timed = upto[-1] if upto else 0
        if not timed:
            return [None] * len(percents)
        return [bisect_left(upto, -(-percent * timed // 100)) for percent in percents]
