"""Field resolvers and the per-request dataloaders they read through."""
