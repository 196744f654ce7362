"""Reading dataset files as streams of rows, shared by the datasetio providers."""
