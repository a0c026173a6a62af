# Locust FastHttpUser at full speed (no wait), the original tool's best case,
# for the throughput benchmark.
from locust import FastHttpUser, constant, task


class Max(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/")
