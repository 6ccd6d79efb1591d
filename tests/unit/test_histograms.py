"""Duration histograms: adding them up and reading nearest-rank percentiles off them."""

from producer_api.histograms import Histogram


def test_histograms_of_different_lengths_add_up_bin_by_bin() -> None:
    histogram = Histogram()
    histogram.add([1, 0, 2])
    histogram.add([0, 3, 0, 0, 4])
    histogram.add([5])

    assert histogram.counts == [6, 3, 2, 0, 4]


def test_a_percentile_is_the_smallest_bin_holding_its_rank() -> None:
    # Ten timings: two in bin 0, five in bin 2, three in bin 4.
    histogram = Histogram()
    histogram.add([2, 0, 5, 0, 3])

    # Ranks 5, 2, 10, 10 and 8 of 10 (⌈p·n/100⌉, exactly: 0.95 × 10 is not 9.000…1).
    assert histogram.nearest_rank_bins([50, 20, 95, 99, 70]) == [2, 0, 4, 4, 2]
    assert histogram.nearest_rank_bins([71]) == [4]


def test_an_empty_histogram_has_no_percentiles() -> None:
    histogram = Histogram()
    assert histogram.nearest_rank_bins([50, 95]) == [None, None]
    histogram.add([0, 0, 0])
    assert histogram.nearest_rank_bins([50]) == [None]
