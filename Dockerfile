# syntax=docker/dockerfile:1
# Build stage: wheels for wijkdeel and everything it needs.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY core ./core
COPY auth ./auth
COPY policies ./policies
COPY records ./records
COPY audit ./audit
COPY notifications ./notifications
COPY signals ./signals
COPY figures ./figures
COPY migrations ./migrations
COPY wijkdeel ./wijkdeel
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Run stage: no compilers, no sources, a non-root user.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin wijkdeel
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER wijkdeel
WORKDIR /home/wijkdeel
# The demo agreement, for `wijkdeel demo --covenant examples/convenant-noord.yaml`.
COPY --chown=wijkdeel examples ./examples
# `wijkdeel serve` reads WIJKDEEL_HOST, WIJKDEEL_PORT and WIJKDEEL_WORKERS; the health check
# asks the port the server was given.
ENV WIJKDEEL_ENV=production \
    WIJKDEEL_HOST=0.0.0.0 \
    WIJKDEEL_PORT=8000 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('WIJKDEEL_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4).status != 200)"]
ENTRYPOINT ["wijkdeel"]
CMD ["serve"]
