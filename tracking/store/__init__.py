"""The tracking database: engine, typed models and the stores that read and write them."""
