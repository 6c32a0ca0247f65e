"""Running the project on AWS: Lambda handlers, the Step Functions DAG, the Glue entry.

Nothing here talks to AWS itself: the handlers run Kedro sessions on the ``s3``
environment (any S3 endpoint), and the state machine is plain JSON.
"""
