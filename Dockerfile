# qcdeploy watch in a container: `docker build -t qcdeploy .` in this repository (the image installs this source
# tree), then run it with the manifest repository mounted at /manifests:
#   docker run --rm -v "$PWD:/manifests" -e QC_USER_ID -e QC_API_TOKEN -e QC_ORGANIZATION_ID \
#     -e QCDEPLOY_STATE=git: -e IB_PASSWORD qcdeploy
# The default command watches deployments/ every 60 s; `docker stop` sends SIGTERM, which lets the pass in
# progress (a heal in it included) finish, then exits 130. For /metrics and the status page from outside the
# container, add `--listen 0.0.0.0:9464` and `-e QCDEPLOY_LISTEN_TOKEN` (beyond loopback a token is required).
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 qcdeploy
COPY pyproject.toml README.md /src/
COPY qcdeploy /src/qcdeploy
RUN pip install --no-cache-dir /src && rm -rf /src
USER qcdeploy
WORKDIR /manifests
EXPOSE 9464
STOPSIGNAL SIGTERM
ENTRYPOINT ["qcdeploy", "--no-color"]
CMD ["watch", "deployments/"]
