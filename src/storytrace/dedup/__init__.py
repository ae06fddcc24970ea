"""Exact and near-duplicate detection: MinHash signatures, LSH bands, groups."""

from storytrace.dedup.groups import SignOptions, build_groups, sign_batch, verified_pairs
from storytrace.dedup.lsh import band_keys, band_params
from storytrace.dedup.minhash import jaccard, signatures

__all__ = [
    "SignOptions",
    "band_keys",
    "band_params",
    "build_groups",
    "jaccard",
    "sign_batch",
    "signatures",
    "verified_pairs",
]
