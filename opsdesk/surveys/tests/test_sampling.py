"""Sampling is deterministic and spreads evenly; tokens are random and stored as digests."""

from opsdesk.surveys.sampling import is_sampled, sample_bucket, token_digest, token_new


def test_the_same_incident_always_gets_the_same_answer():
    assert [is_sampled(incident_id=i, percent=30) for i in range(200)] == \
        [is_sampled(incident_id=i, percent=30) for i in range(200)]


def test_a_rate_samples_about_that_share_of_consecutive_ids():
    picked = sum(is_sampled(incident_id=i, percent=30) for i in range(1, 10_001))
    assert 2_850 <= picked <= 3_150  # 30 % ± 1.5 points of 10,000 consecutive ids


def test_zero_samples_none_and_hundred_samples_all():
    assert not any(is_sampled(incident_id=i, percent=0) for i in range(1, 1_001))
    assert all(is_sampled(incident_id=i, percent=100) for i in range(1, 1_001))


def test_a_higher_rate_keeps_everyone_a_lower_rate_picked():
    low = {i for i in range(1, 2_001) if is_sampled(incident_id=i, percent=10)}
    high = {i for i in range(1, 2_001) if is_sampled(incident_id=i, percent=50)}
    assert low < high
    assert all(0 <= sample_bucket(i) < 100 for i in range(1, 2_001))


def test_tokens_are_random_url_safe_and_stored_only_as_digests():
    first, second = token_new(), token_new()
    assert first != second and len(first) >= 40
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert token_digest(first) != first and len(token_digest(first)) == 64
    assert token_digest(first) == token_digest(first) != token_digest(second)
