/*
 * qemu-net.c: the taps of a guest's interfaces, and their statistics
 */
#include "qemu-net.h"

#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int
tap_create(CvgDomainNet *net)
{
    struct ifreq ifr;
    int fd;

    if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0) {
        cvg_error_report_system(errno, _("cannot open '%s'"), "/dev/net/tun");
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (g_strcmp0(net->model, "virtio") == 0)
        ifr.ifr_flags |= IFF_VNET_HDR;
    /* The kernel fills in %d with the first free number. */
    g_strlcpy(ifr.ifr_name, net->ifname ? net->ifname : "vnet%d",
              sizeof(ifr.ifr_name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        cvg_error_report_system(errno, _("cannot create tap '%s'"),
                                ifr.ifr_name);
        close(fd);
        return -1;
    }
    if (!net->ifname)
        net->ifname = g_strdup(ifr.ifr_name);
    return fd;
}

/* Bring @name up, give it @mac (fe:...) and add it to @bridge. */
static int
tap_attach(const char *name, const unsigned char *mac, const char *bridge)
{
    struct ifreq ifr;
    unsigned int bridx;
    int s;
    int rc = -1;

    if (!(bridx = if_nametoindex(bridge))) {
        cvg_error_report(CVG_ERR_OPERATION_FAILED,
                         _("bridge '%s' does not exist"), bridge);
        return -1;
    }
    if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        cvg_error_report_system(errno, _("cannot open a socket"));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, mac, CVG_MAC_LEN);
    /* A high first byte keeps the bridge from taking the tap's address. */
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        cvg_error_report_system(errno, _("cannot set up tap '%s'"), name);
        goto out;
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
        cvg_error_report_system(errno, _("cannot bring up tap '%s'"), name);
        goto out;
    }
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, bridge, sizeof(ifr.ifr_name));
    ifr.ifr_ifindex = (int)if_nametoindex(name);
    if (ioctl(s, SIOCBRADDIF, &ifr) < 0) {
        cvg_error_report_system(errno, _("cannot add tap '%s' to bridge '%s'"),
                                name, bridge);
        goto out;
    }
    rc = 0;
out:
    close(s);
    return rc;
}

void
cvg_qemu_close_taps(GArray *fds)
{
    if (!fds)
        return;
    for (guint i = 0; i < fds->len; i++)
        close(g_array_index(fds, int, i));
    g_array_free(fds, TRUE);
}

int
cvg_qemu_resolve_networks(const CvgDaemonConfig *cfg, CvgDomainDef *def)
{
    for (size_t i = 0; i < def->nnets; i++) {
        CvgDomainNet *net = def->nets[i];
        const char *bridge;

        if (net->type != CVG_NET_TYPE_NETWORK)
            continue;
        if (!(bridge = cvg_daemon_config_network_bridge(cfg, net->network))) {
            cvg_error_report(CVG_ERR_NO_NETWORK,
                             _("no network with matching name '%s'"),
                             net->network);
            return -1;
        }
        g_free(net->bridge);
        net->bridge = g_strdup(bridge);
    }
    return 0;
}

GArray *
cvg_qemu_open_taps(CvgDomainDef *def)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));

    for (size_t i = 0; i < def->nnets; i++) {
        CvgDomainNet *net = def->nets[i];
        bool named = net->ifname != NULL;
        int fd;

        if (net->type == CVG_NET_TYPE_USER)
            continue;
        if ((fd = tap_create(net)) < 0)
            goto error;
        g_array_append_val(fds, fd);
        if ((net->type == CVG_NET_TYPE_BRIDGE ||
             net->type == CVG_NET_TYPE_NETWORK) &&
            tap_attach(net->ifname, net->mac, net->bridge) < 0) {
            if (!named)
                g_clear_pointer(&net->ifname, g_free);
            goto error;
        }
    }
    return fds;
error:
    cvg_qemu_close_taps(fds);
    return NULL;
}

static long long
read_counter(const char *ifname, const char *name)
{
    g_autofree char *path =
        g_strdup_printf("/sys/class/net/%s/statistics/%s", ifname, name);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    return g_ascii_strtoll(text, NULL, 10);
}

int
cvg_driver_net_stats(CvgDriver *drv, CvgDomainObj *dom, const char *name,
                     CvgNetStats *ret_stats)
{
    g_autofree char *ifname = NULL;
    CvgDomainNet *net;

    cvg_driver_lock(drv);
    if (!cvg_domain_obj_is_active(dom)) {
        cvg_error_report(CVG_ERR_OPERATION_INVALID, _("domain is not running"));
    } else if (!(net = cvg_domain_def_find_net(dom->def, name))) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("invalid path, '%s' is not a known interface"),
                         name);
    } else if (!net->ifname || net->type == CVG_NET_TYPE_USER) {
        cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                         _("interface '%s' of type '%s' has no host device "
                           "to count on"),
                         name, cvg_net_type_to_string(net->type));
    } else {
        ifname = g_strdup(net->ifname);
    }
    cvg_driver_unlock(drv);
    if (!ifname)
        return -1;
    /* The tap's receive side is what the guest sends. */
    ret_stats->rx_bytes = read_counter(ifname, "tx_bytes");
    ret_stats->rx_packets = read_counter(ifname, "tx_packets");
    ret_stats->rx_errs = read_counter(ifname, "tx_errors");
    ret_stats->rx_drop = read_counter(ifname, "tx_dropped");
    ret_stats->tx_bytes = read_counter(ifname, "rx_bytes");
    ret_stats->tx_packets = read_counter(ifname, "rx_packets");
    ret_stats->tx_errs = read_counter(ifname, "rx_errors");
    ret_stats->tx_drop = read_counter(ifname, "rx_dropped");
    return 0;
}
