# Regenerates the reference figures of ForecastingTests (plain Python, double precision): python3 forecasting.py
# An independent transcription of the textbook recursions (Hyndman & Athanasopoulos, "Forecasting: principles
# and practice", 8.1-8.3; Montgomery, "Introduction to statistical quality control", 9.1-9.2).
# The detector series are chosen so that neither the residual clip (|z| <= 4) nor the baseline hold (a statistic
# above half its limit before a sample) changes a figure: every z stays under 4 and no held sample is followed by one.
import math

print("// Holt linear, alpha = 0.5, beta = 0.3: level, trend, forecast(1), forecast(3)")
y = [10.0, 12.0, 13.0, 12.0, 15.0]
level, trend = y[0], 0.0
for v in y[1:]:
    prev = level
    level = 0.5 * v + 0.5 * (prev + trend)
    trend = 0.3 * (level - prev) + 0.7 * trend
print(repr(level), repr(trend), repr(level + trend), repr(level + 3 * trend))

print("// Holt-Winters additive, period 3, alpha = 0.4, beta = 0.2, gamma = 0.3: level, trend, seasons, forecast(1..4)")
y = [10.0, 20.0, 15.0, 12.0, 23.0, 16.0, 14.0]
m = 3
season = y[:m]
level = sum(season) / m
season = [s - level for s in season]
trend = 0.0
for t in range(m, len(y)):
    s = t % m
    prev = level
    level = 0.4 * (y[t] - season[s]) + 0.6 * (prev + trend)
    trend = 0.2 * (level - prev) + 0.8 * trend
    season[s] = 0.3 * (y[t] - level) + 0.7 * season[s]
n = len(y)
print(repr(level), repr(trend), [repr(s) for s in season], [repr(level + h * trend + season[(n - 1 + h) % m]) for h in range(1, 5)])

print("// Robust baseline, smoothing 0.25, winsor 3: mean, mean absolute deviation after each sample")
y = [5.0, 7.0, 6.0, 30.0, 6.5]
mean, mad, n = None, 0.0, 0
for v in y:
    n += 1
    if n == 1:
        mean = v
    else:
        r = v - mean
        scale = math.sqrt(math.pi / 2) * mad
        if scale > 0:
            r = max(-3 * scale, min(3 * scale, r))
        w = max(0.25, 1.0 / n)
        mean += w * r
        mad += w * (abs(r) - mad)
    print(repr(mean), repr(mad))

print("// CUSUM k = 0.5, h = 2, no season, smoothing 0.25, warm-up 3: z, S+, S- per sample from the 4th")
y = [5.0, 7.0, 6.0, 6.2, 8.0, 9.0, 4.0]
mean, mad, n = None, 0.0, 0
up, down = 0.0, 0.0
for v in y:
    warmed = n >= 3
    m0, sc = mean, math.sqrt(math.pi / 2) * mad
    n += 1
    if n == 1:
        mean = v
    else:
        r = v - mean
        if sc > 0:
            r = max(-3 * sc, min(3 * sc, r))
        w = max(0.25, 1.0 / n)
        mean += w * r
        mad += w * (abs(r) - mad)
    if warmed:
        z = (v - m0) / sc
        up = max(0.0, up + z - 0.5)
        down = max(0.0, down - z - 0.5)
        alarm = "Up" if up > 2 else "Down" if down > 2 else "None"
        print(repr(z), repr(up), repr(down), alarm)
        if alarm != "None":
            up, down = 0.0, 0.0

print("// EWMA chart lambda = 0.5, L = 1 on the same z: E, alarm per sample from the 4th")
limit = 1 * math.sqrt(0.5 / 1.5)
e = 0.0
for z in [0.2393653682408598, 2.8288634428465227, 2.183100812196729, -1.949311190920317]:
    e = 0.5 * z + 0.5 * e
    alarm = "Up" if e > limit else "Down" if e < -limit else "None"
    print(repr(e), alarm)
    if alarm != "None":
        e = 0.0
