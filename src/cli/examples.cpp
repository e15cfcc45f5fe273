// The "Examples:" each subcommand's --help ends with: what a docker user types first.

#include "mydocker/cli/examples.hpp"

#include <map>
#include <string>

namespace mydocker::cli {

const char* command_examples(std::string_view name) {
  static const std::map<std::string, const char*, std::less<>> all = {
      {"run",
       "  mydocker run -it -mem 100m -cpu 20 -cpuset 0 /bin/sh     the host's files, limited\n"
       "  mydocker run --rm busybox echo hi                       an image\n"
       "  mydocker run -d --name web -p 8080:80 httpd              published (--net bridge)\n"
       "  mydocker run --init --log-opt max-size=10m -d app        tini-like PID 1, rotated log\n"
       "  mydocker run --dry-run --trace -m 1g busybox true        every kernel step, nothing "
       "done"},
      {"create", "  mydocker create --name job busybox sh -c 'date'\n  mydocker start -a job"},
      {"start",
       "  mydocker start web\n  mydocker start -a job        attached: its output, its status"},
      {"restart", "  mydocker restart -t 5 web"},
      {"attach",
       "  mydocker run -dit --name box busybox sh\n"
       "  mydocker attach box                  ctrl-p ctrl-q detaches, it goes on\n"
       "  mydocker attach --detach-keys ctrl-x box\n"
       "  mydocker attach --no-stdin web       its output only"},
      {"ps",
       "  mydocker ps -a --filter status=exited --filter label=tier=db\n"
       "  mydocker ps -n 3 --format 'table {{.Names}}\\t{{.Image}}\\t{{.Status}}'\n"
       "  mydocker ps -aq --filter ancestor=busybox | xargs mydocker rm"},
      {"logs", "  mydocker logs -f --tail 20 web\n  mydocker logs -t web"},
      {"exec", "  mydocker exec -it web sh\n  mydocker exec -u 1000 -w /tmp web id"},
      {"stop", "  mydocker stop -t 2 web"},
      {"kill", "  mydocker kill -s HUP web"},
      {"rm", "  mydocker rm -f web\n  mydocker container prune -f"},
      {"inspect",
       "  mydocker inspect -f '{{.State.Status}} {{.NetworkSettings.IPAddress}}' web\n"
       "  mydocker inspect -f '{{json .Config.Labels}}' web"},
      {"stats",
       "  mydocker stats --no-stream --format 'table {{.Name}}\\t{{.CPUPerc}}\\t{{.NetIO}}'"},
      {"update", "  mydocker update -m 200m --cpus 1.5 web"},
      {"rename", "  mydocker rename web web-old"},
      {"images",
       "  mydocker images --filter dangling=true -q\n"
       "  mydocker images --format '{{.Repository}}:{{.Tag}} {{.Size}}'"},
      {"pull", "  mydocker pull localhost:5000/app:1\n  mydocker pull busybox@sha256:<digest>"},
      {"push", "  mydocker tag app localhost:5000/app:1\n  mydocker push localhost:5000/app:1"},
      {"load",
       "  mydocker load -i app.tar\n  skopeo copy ... oci-archive:/dev/stdout | mydocker load"},
      {"save", "  mydocker save -o app.tar app:1\n  mydocker save app:1 | mydocker load"},
      {"import", "  mydocker import rootfs.tar busybox"},
      {"commit", "  mydocker commit web web:patched"},
      {"network",
       "  mydocker network create --subnet 10.50.0.0/24 backend\n"
       "  mydocker run -d --net backend --name db busybox sleep 1d"},
      {"prune", "  mydocker prune        after a crash: cgroups, mounts, leases, partial loads"},
      {"system", "  mydocker system df\n  mydocker system prune -f -a"},
      {"events",
       "  mydocker events --filter container=web --filter event=die\n"
       "  mydocker events --since 1h --until 0s --format '{{.Action}} {{.Actor.Attributes.name}}'\n"
       "  mydocker events --since 2026-12-06 --filter type=image --format json"},
      {"version", "  mydocker version --format '{{.Server.KernelVersion}}'"},
      {"info", "  mydocker info --format '{{json .}}'"},
  };
  auto it = all.find(name);
  return it == all.end() ? nullptr : it->second;
}

}  // namespace mydocker::cli
