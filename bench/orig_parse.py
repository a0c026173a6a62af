# The original evaluator's log parsing (loadtest_plotter.py, readResponseTimesFromLogFile),
# kept line for line in what it does, for the histo benchmark. It only parses: no plotting.
import re
import sys
import time
from datetime import datetime

start = time.time()
response_times = {}
n = 0
with open(sys.argv[1]) as logfile:
    for line in logfile:
        if 'Response time' not in line:
            continue
        time_stamp = datetime.strptime(re.search('\\[.*\\]', line).group(), '[%Y-%m-%d %H:%M:%S,%f]')
        response_time = re.search('(?<=Response time\\s)\\d*', line).group()
        response_times[time_stamp] = float(response_time) / 1000
        n += 1
times = list(response_times.values())
print("responses %d min %.3f over 30s %d in %.2fs" % (n, min(times), sum(1 for t in times if t > 30), time.time() - start))
