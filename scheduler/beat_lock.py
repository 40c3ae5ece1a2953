"""One beat in a cluster: beat takes a lock in Redis before its first tick and keeps it alive; a second beat
(another node, a restarted one) waits for the lock and takes over when its holder dies and the lock expires.

The lock is a Redis key with a time to live (LOCK_TTL seconds) that the holder renews every third of it. A holder
killed with -9 stops renewing, so the key expires and the waiting beat acquires it within LOCK_TTL. A holder that
could not renew in time (Redis unreachable, process frozen) may have lost the lock to another beat: it exits
rather than run a second schedule.

Redis: CELERY_BEAT_LOCK_URL, else the broker URL when it is Redis. With another broker and no lock URL (the
embedded single-process demo) beat runs unlocked and says so."""
import logging
import os
import socket
import threading
import time
import uuid

log = logging.getLogger("crm.beat")
LOCK_TTL = float(os.environ.get("CELERY_BEAT_LOCK_TTL", "30"))


class BeatLock:
    def __init__(self, redis_url, name, ttl=LOCK_TTL):
        import redis
        self.client = redis.Redis.from_url(redis_url, socket_timeout=max(ttl / 3, 1), socket_connect_timeout=2)
        self.name = name
        self.ttl = ttl
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._renewer = None

    def holder(self):
        value = self.client.get(self.name)
        return value.decode() if value else None

    def try_acquire(self):
        return bool(self.client.set(self.name, self.token, nx=True, px=int(self.ttl * 1000)))

    def acquire(self, timeout=None, poll=None):
        """Wait until the lock is ours (True) or `timeout` seconds passed (False)."""
        poll = poll or min(1.0, self.ttl / 3)
        deadline = None if timeout is None else time.monotonic() + timeout
        announced = False
        while not self.try_acquire():
            if not announced:
                log.info("beat waits: the beat lock %s is held by %s", self.name, self.holder())
                announced = True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        log.info("beat lock %s taken by %s", self.name, self.token)
        return True

    # Compare-and-set in one step: renew or release only while the value is still our token.
    _RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) " \
             "else return 0 end"
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

    def renew(self):
        return bool(self.client.eval(self._RENEW, 1, self.name, self.token, int(self.ttl * 1000)))

    def release(self):
        self._stop.set()
        try:
            return bool(self.client.eval(self._RELEASE, 1, self.name, self.token))
        except Exception:  # noqa: BLE001  Redis gone: the key expires by itself
            return False

    def keep_alive(self, on_lost):
        """Renew every ttl/3 in a daemon thread; call on_lost() when the lock is no longer ours."""
        def run():
            last_ok = time.monotonic()
            while not self._stop.wait(self.ttl / 3):
                try:
                    if self.renew():
                        last_ok = time.monotonic()
                        continue
                    log.error("beat lock %s lost (now held by %s)", self.name, self.holder())
                except Exception as exc:  # noqa: BLE001  Redis briefly unreachable: retry until the TTL runs out
                    if time.monotonic() - last_ok < self.ttl:
                        log.warning("renewing the beat lock failed: %s", exc)
                        continue
                    log.error("beat lock %s not renewed for %ss: another beat may hold it", self.name, self.ttl)
                on_lost()
                return
        self._renewer = threading.Thread(target=run, name="beat-lock", daemon=True)
        self._renewer.start()


def lock_url(broker_url):
    url = os.environ.get("CELERY_BEAT_LOCK_URL")
    if url:
        return url
    return broker_url if (broker_url or "").startswith(("redis://", "rediss://")) else None


def hold_for_beat(app):
    """Called when beat starts (celery's beat_init signal): wait for the lock, then keep it until exit."""
    url = lock_url(app.conf.broker_url)
    if url is None:
        log.warning("beat runs without a lock (no Redis broker, no CELERY_BEAT_LOCK_URL): run only one beat")
        return None
    lock = BeatLock(url, f"crm:beat-lock:{app.conf.task_default_queue}")
    lock.acquire()

    def lost():
        # Two beats would send every job twice: stop this one at once (the other holds the lock).
        os._exit(3)
    lock.keep_alive(lost)
    import atexit
    atexit.register(lock.release)
    return lock
