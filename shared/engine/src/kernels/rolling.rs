//! Rolling-window kernels (O(n) whatever the window where the statistic allows).
