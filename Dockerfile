# syntax=docker/dockerfile:1
# Build stage: wheels for wijkdeel and everything it needs.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY auth ./auth
COPY policies ./policies
COPY records ./records
COPY audit ./audit
COPY notifications ./notifications
COPY signals ./signals
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
ENV WIJKDEEL_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
ENTRYPOINT ["wijkdeel"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
