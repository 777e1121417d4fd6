// Compiled once with the precompiled <torch/torch.h> that every LibTorch module reuses.
