vcl 4.1;

# Varnish in front of a NestJS app whose pages nestjs-page-cache tags, with
#   CacheModule.forRoot({ pages: { edge: { header: 'xkey', purge: varnishPurge({ url }) } } })
# Needs vmod_xkey (Debian/Ubuntu: apt-get install varnish varnish-modules). Shipped in the package
# as node_modules/nestjs-page-cache/dist/varnish/page-cache.vcl: copy it, then set the backend and
# the purgers below.

import xkey;

# The Nest app.
backend default {
    .host = "127.0.0.1";
    .port = "3000";
}

# Who may purge: the app's servers. Anyone else could empty the cache.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey) {
            return (synth(400, "No xkey header"));
        }
        # Space-separated tags, as varnishPurge() sends them; every object tagged with any is gone.
        set req.http.x-purged = xkey.purge(req.http.xkey);
        return (synth(200, "Purged"));
    }
    # Everything else is Varnish's built-in logic: only GET and HEAD are looked up, and requests
    # with Authorization or a Cookie go to the app, whose own cache knows what a page varies on.
}

sub vcl_synth {
    if (req.method == "PURGE") {
        # How many objects the purge removed, for logs and tests.
        set resp.http.x-purged = req.http.x-purged;
    }
}

sub vcl_backend_response {
    # Only pages the page cache tagged are kept. Everything else it answers (a page varied on the
    # user, a cookie or a header, a page behind a guard, a 404) says Cache-Control: private; a
    # response no purge could ever reach must not outlive the next save either way.
    if (!beresp.http.xkey) {
        # Hit-for-miss: ask the app every time, without queueing requests behind each other.
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # A tagged page without a Cache-Control of its own stays until a save purges it (a day at
    # most); one with Cache-Control keeps to it. The built-in logic below still refuses
    # Set-Cookie, private, no-store and Vary: *.
    if (!beresp.http.Cache-Control) {
        set beresp.ttl = 1d;
    }
}

sub vcl_deliver {
    # The tags are for Varnish, not for browsers.
    unset resp.http.xkey;
}
