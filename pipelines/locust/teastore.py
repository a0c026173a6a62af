# A Locust load test written for the real TeaStore WebUI (port 8080, log
# endpoint on 8081), used to check that teasim is a drop-in stand-in: run it
# against either with
#   locust -f pipelines/locust/teastore.py --host http://HOST:8080/tools.descartes.teastore.webui
# Like the TeaStore project's example: home, login, browse 1–4 categories and
# products putting each in the cart, buy with a 50 % chance, profile, logout.
# Redirects are followed as a browser does; a request fails on 4xx/5xx.
# Requests are named by page (name=), as the TeaStore load tests report them,
# not by URL: one statistics row per page, not one per category, page and product.
import logging
import random
from urllib.parse import urlsplit, urlunsplit

import requests
from locust import HttpUser, constant, events, task

rng = random.Random(42)


@events.test_start.add_listener
def reset_logs(environment, **kwargs):
    # load tests for the real TeaStore reset its logs first (port 8081)
    u = urlsplit(environment.host)
    logs = urlunsplit((u.scheme, "%s:%d" % (u.hostname, (u.port or 80) + 1), "/logs/reset", "", ""))
    try:
        logging.info("reset logs: %s", requests.get(logs, timeout=5).status_code)
    except requests.RequestException as e:
        logging.warning("could not reset the logs: %s", e)


class Shopper(HttpUser):
    wait_time = constant(0)

    @task
    def session(self):
        c = self.client
        c.get("/", name="index")
        c.get("/login", name="login")
        user = rng.randint(0, 99)
        c.post("/loginAction", params={"username": "user%d" % user, "password": "password"}, name="loginAction")
        for _ in range(rng.randint(1, 4)):
            c.get("/category", params={"page": rng.randint(1, 5), "category": rng.randint(2, 6)}, name="category")
            product = rng.randint(7, 506)
            c.get("/product", params={"id": product}, name="product")
            c.post("/cartAction", params={"addToCart": "", "productid": product}, name="cartAction")
        if rng.random() < 0.5:
            c.post("/cartAction", params={"proceedtoCheckout": ""}, name="cartAction")
            c.post("/cartAction", data={"firstname": "User", "lastname": "User", "address1": "Road",
                                        "address2": "City", "cardtype": "volvo", "cardnumber": "314159265359",
                                        "expirydate": "12/2050", "confirm": "Confirm"}, name="cartAction")
        c.get("/profile", name="profile")
        c.post("/loginAction", params={"logout": ""}, name="loginAction")
