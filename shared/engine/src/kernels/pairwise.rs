//! Pairwise rolling kernels (covariance, correlation, beta) for the analysis family.
