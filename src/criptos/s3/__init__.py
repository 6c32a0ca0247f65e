"""S3: the checks a run makes before it reads or writes the bucket."""
