"""Remote providers: adapters of services that run outside corral."""
