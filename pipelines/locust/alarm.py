# The study's alarm device as a Locust user, for pipelines/locust.sh and
# `rampctl --exec`. Each device POSTs /fake_call and repeats the send until a
# 2xx arrives; the logged response time runs from the first try to the
# success, in the log format the original evaluator and perflab's histo read.
import logging
import os
import time

from locust import FastHttpUser, constant, task

THINK = float(os.environ.get("ALARM_THINK", "1"))  # seconds; scale it with arssim's --time-scale
log = logging.getLogger("RepeatingHttpClient")


class AlarmDevice(FastHttpUser):
    wait_time = constant(THINK)

    @task
    def alarm(self):
        start = time.time()
        while True:
            with self.client.post("/fake_call", json={"id": "070010", "body": "alarm"},
                                  catch_response=True) as r:
                if 200 <= r.status_code < 300:
                    r.success()
                    break
                r.failure("status %d" % r.status_code)
        log.info("Response time %d ms", int((time.time() - start) * 1000))
