# What the daemon image (docker/daemon.Dockerfile) runs on besides herdctl itself: the runtime
# image, the node binary of the machine that builds it and the release's registry packages (a
# gigabyte, mostly claude's native binaries), laid out from the release lock. Built by
# scripts/build-daemon-image.mjs, offline (--network none), only when these change: it is tagged
# herdctl/daemon-deps:<hash of the lock's registry packages, node's version and the base image>.
ARG BASE=herdctl/runtime:latest
FROM ${BASE}
# Not the runtime image: without this it would inherit the runtime image's recipe label, and a
# lookup of the runtime image by that label could find this one.
LABEL herdctl.image-hash="" herdctl.claude-version=""
USER root
COPY node /usr/local/bin/node
COPY herdctl /opt/herdctl
