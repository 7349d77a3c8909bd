"""Deployment: the SAM template and the script that builds the Lambda artifact."""
