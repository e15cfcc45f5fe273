/* udp_echo: the UDP half of the networking tests (busybox nc has no -u).
 *
 *   udp_echo PORT              serve: answer each datagram with "echo:" + its bytes
 *   udp_echo HOST PORT TEXT    ask: send TEXT, print the answer (exit 1 after 2 s of silence) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  char buf[1024];
  if (argc == 2) {
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    if (bind(s, (struct sockaddr*)&a, sizeof a) != 0) return perror("bind"), 1;
    for (;;) {
      struct sockaddr_in from;
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(s, buf + 5, sizeof buf - 5, 0, (struct sockaddr*)&from, &len);
      if (n < 0) continue;
      memcpy(buf, "echo:", 5);
      sendto(s, buf, (size_t)n + 5, 0, (struct sockaddr*)&from, len);
    }
  }
  if (argc != 4) return fprintf(stderr, "usage: udp_echo PORT | udp_echo HOST PORT TEXT\n"), 2;
  a.sin_port = htons((unsigned short)atoi(argv[2]));
  inet_pton(AF_INET, argv[1], &a.sin_addr);
  struct timeval tv = {2, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sendto(s, argv[3], strlen(argv[3]), 0, (struct sockaddr*)&a, sizeof a);
  ssize_t n = recv(s, buf, sizeof buf - 1, 0);
  if (n < 0) return 1;
  buf[n] = 0;
  printf("%s\n", buf);
  return 0;
}
