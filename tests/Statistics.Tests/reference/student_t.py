# Regenerates the Student-t reference figures of DistributionTests (mpmath 1.3, 40 digits): python3 student_t.py
import mpmath as mp

mp.mp.dps = 40


def cdf(t, nu):
    t, nu = mp.mpf(t), mp.mpf(nu)
    tail = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + t * t), regularized=True) / 2
    return tail if t < 0 else 1 - tail


for nu in [20.0, 99.0, 200.0, 1000.0, 5000.0, 10001.0, 30000.0, 99000.0, 100001.0, 150000.0, 1e6, 1e8, 1e11]:
    for t in [-30, -12, -7.5, -3, -1, -0.05]:
        print(f"    [InlineData({t!r}, {nu!r}, {mp.nstr(cdf(t, nu), 17)})]")
for nu in [150000.0, 1e7]:
    for p in [1e-9, 1e-3, 0.3]:
        z = mp.sqrt(2) * mp.erfinv(2 * mp.mpf(p) - 1)
        q = mp.findroot(lambda x: cdf(x, nu) - mp.mpf(p), z, tol=1e-30)
        print(f"    [InlineData({p!r}, {nu!r}, {mp.nstr(q, 17)})]")
