# The playground image for docker-compose.yml. Runs as root in a privileged container.
FROM node:20-bookworm
WORKDIR /opt/nsplay
COPY scripts/packages.txt scripts/packages.txt
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(grep -v '^#' scripts/packages.txt) \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts/link-bin.mjs scripts/link-bin.mjs
RUN npm ci --no-audit --no-fund
COPY . .
RUN NEXT_TELEMETRY_DISABLED=1 npx next build
EXPOSE 3000
CMD ["npm", "start", "--", "--host", "0.0.0.0"]
