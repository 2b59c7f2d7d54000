/*
 * storage-conf.c: storage pool and volume XML
 *
 * Like the domain parser, every element of a pool definition is understood,
 * accepted as output-only data (the sizes, which the daemon measures) or
 * refused: nothing is dropped silently.
 */
#include "storage-conf.h"

#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-xml.h"

#include <string.h>

#define storage_error(code, ...)                                               \
    cvg_error_report_full(CVG_FROM_STORAGE, code, __VA_ARGS__)

/* A pool name is a file name in the daemon's storage directory. */
#define POOL_NAME_MAX 255

void
cvg_storage_pool_def_free(CvgStoragePoolDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->target_path);
    g_free(def);
}

static xmlDoc *
read_pool_xml(const char *xml)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *error = NULL;
    CvgXmlReadStatus status;

    doc = cvg_xml_read_untrusted(xml, strlen(xml), "storage_pool_definition",
                                 &status, &error);
    if (status == CVG_XML_READ_TOO_LARGE || status == CVG_XML_READ_DOCTYPE ||
        status == CVG_XML_READ_NO_PARSER) {
        storage_error(CVG_ERR_XML_ERROR,
                      _("storage pool XML is too large, has a document type "
                        "declaration or cannot be parsed"));
        return NULL;
    }
    if (error || !doc) {
        storage_error(CVG_ERR_XML_DETAIL, _("(storage_pool_definition):%s"),
                      error ? error : _("failed to parse the document"));
        return NULL;
    }
    return g_steal_pointer(&doc);
}

static bool
pool_name_is_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > POOL_NAME_MAX || name[0] == '.' || strchr(name, '/'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)name[i] < 0x20)
            return false;
    }
    return true;
}

/* An absolute path without empty components or a trailing '/'. */
static char *
canonical_target(const char *path)
{
    g_auto(GStrv) parts = NULL;
    GString *out;

    if (path[0] != '/' || strlen(path) > 4096)
        return NULL;
    parts = g_strsplit(path, "/", -1);
    out = g_string_new(NULL);
    for (size_t i = 0; parts[i]; i++) {
        if (parts[i][0] == '\0')
            continue;
        if (strcmp(parts[i], ".") == 0 || strcmp(parts[i], "..") == 0) {
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append_printf(out, "/%s", parts[i]);
    }
    if (out->len == 0)
        g_string_append_c(out, '/');
    return g_string_free(out, FALSE);
}

static int
parse_target(xmlNodePtr node, CvgStoragePoolDef *def)
{
    g_autofree char *raw = NULL;

    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, "path") != 0) {
            storage_error(CVG_ERR_CONFIG_UNSUPPORTED,
                          _("unsupported storage pool target element '%s'"),
                          (const char *)c->name);
            return -1;
        }
        g_free(raw);
        raw = cvg_xml_content(c);
    }
    if (!raw) {
        storage_error(CVG_ERR_XML_ERROR,
                      _("a dir storage pool needs an absolute <target><path>"));
        return -1;
    }
    if (!(def->target_path = canonical_target(g_strstrip(raw)))) {
        storage_error(CVG_ERR_XML_ERROR,
                      _("storage pool target path '%s' is not absolute or "
                        "has '.' or '..' components"),
                      raw);
        return -1;
    }
    return 0;
}

/* <source/> of a dir pool has nothing to say. */
static int
check_source(xmlNodePtr node)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            storage_error(CVG_ERR_CONFIG_UNSUPPORTED,
                          _("a dir storage pool has no source element '%s'"),
                          (const char *)c->name);
            return -1;
        }
    }
    return 0;
}

static int
parse_uuid(xmlNodePtr node, CvgStoragePoolDef *def)
{
    g_autofree char *text = cvg_xml_content(node);

    if (!text || cvg_uuid_parse(text, def->uuid) < 0) {
        storage_error(CVG_ERR_XML_ERROR, _("malformed uuid element"));
        return -1;
    }
    return 0;
}

static int
parse_child(xmlNodePtr c, CvgStoragePoolDef *def, bool *have_uuid)
{
    const char *name = (const char *)c->name;

    if (strcmp(name, "name") == 0) {
        g_free(def->name);
        def->name = cvg_xml_content(c);
        return 0;
    }
    if (strcmp(name, "uuid") == 0) {
        *have_uuid = true;
        return parse_uuid(c, def);
    }
    if (strcmp(name, "target") == 0)
        return parse_target(c, def);
    if (strcmp(name, "source") == 0)
        return check_source(c);
    /* Output-only: the daemon measures them. */
    if (strcmp(name, "capacity") == 0 || strcmp(name, "allocation") == 0 ||
        strcmp(name, "available") == 0)
        return 0;
    storage_error(CVG_ERR_CONFIG_UNSUPPORTED,
                  _("unsupported storage pool element '%s'"), name);
    return -1;
}

static int
check_root(xmlNodePtr root)
{
    g_autofree char *type = NULL;

    if (!root || strcmp((const char *)root->name, "pool") != 0) {
        storage_error(CVG_ERR_XML_ERROR,
                      _("the root element of a storage pool must be <pool>"));
        return -1;
    }
    type = cvg_xml_prop(root, "type");
    if (!type) {
        storage_error(CVG_ERR_XML_ERROR, _("storage pool type is missing"));
        return -1;
    }
    if (strcmp(type, "dir") != 0) {
        storage_error(CVG_ERR_CONFIG_UNSUPPORTED,
                      _("unsupported storage pool type '%s': convergd "
                        "implements 'dir' pools only"),
                      type);
        return -1;
    }
    return 0;
}

CvgStoragePoolDef *
cvg_storage_pool_def_parse(const char *xml)
{
    g_autoptr(xmlDoc) doc = read_pool_xml(xml);
    g_autoptr(CvgStoragePoolDef) def = NULL;
    xmlNodePtr root;
    bool have_uuid = false;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (check_root(root) < 0)
        return NULL;
    def = g_new0(CvgStoragePoolDef, 1);
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && parse_child(c, def, &have_uuid) < 0)
            return NULL;
    }
    if (!def->name || !pool_name_is_valid(def->name)) {
        storage_error(CVG_ERR_XML_ERROR,
                      _("storage pool name '%s' is missing or invalid"),
                      def->name ? def->name : "");
        return NULL;
    }
    if (!def->target_path) {
        storage_error(CVG_ERR_XML_ERROR,
                      _("a dir storage pool needs an absolute <target><path>"));
        return NULL;
    }
    if (!have_uuid)
        cvg_uuid_generate(def->uuid);
    return g_steal_pointer(&def);
}

char *
cvg_storage_pool_def_format(const CvgStoragePoolDef *def,
                            const CvgStoragePoolSizes *sizes)
{
    CvgStoragePoolSizes zero = {0};
    GString *buf = g_string_new("<pool type='dir'>\n  <name>");
    char uuid[37];

    if (!sizes)
        sizes = &zero;
    cvg_uuid_format(def->uuid, uuid);
    cvg_xml_escape(buf, def->name, false);
    g_string_append_printf(buf,
                           "</name>\n"
                           "  <uuid>%s</uuid>\n"
                           "  <capacity unit='bytes'>%llu</capacity>\n"
                           "  <allocation unit='bytes'>%llu</allocation>\n"
                           "  <available unit='bytes'>%llu</available>\n"
                           "  <source>\n"
                           "  </source>\n"
                           "  <target>\n"
                           "    <path>",
                           uuid, sizes->capacity, sizes->allocation,
                           sizes->available);
    cvg_xml_escape(buf, def->target_path, false);
    g_string_append(buf, "</path>\n"
                         "  </target>\n"
                         "</pool>\n");
    return g_string_free(buf, FALSE);
}

CvgStoragePoolDef *
cvg_storage_pool_def_copy(const CvgStoragePoolDef *def)
{
    CvgStoragePoolDef *copy = g_new0(CvgStoragePoolDef, 1);

    copy->name = g_strdup(def->name);
    memcpy(copy->uuid, def->uuid, sizeof(copy->uuid));
    copy->target_path = g_strdup(def->target_path);
    return copy;
}

void
cvg_storage_vol_def_free(CvgStorageVolDef *vol)
{
    if (!vol)
        return;
    g_free(vol->pool);
    g_free(vol->name);
    g_free(vol->path);
    g_free(vol->backing);
    g_free(vol);
}

char *
cvg_storage_vol_format(const CvgStorageVolDef *vol)
{
    GString *buf = g_string_new("<volume type='file'>\n  <name>");

    cvg_xml_escape(buf, vol->name, false);
    g_string_append(buf, "</name>\n  <key>");
    cvg_xml_escape(buf, vol->path, false);
    g_string_append_printf(buf,
                           "</key>\n"
                           "  <capacity unit='bytes'>%llu</capacity>\n"
                           "  <allocation unit='bytes'>%llu</allocation>\n"
                           "  <physical unit='bytes'>%llu</physical>\n"
                           "  <target>\n"
                           "    <path>",
                           vol->capacity, vol->allocation, vol->physical);
    cvg_xml_escape(buf, vol->path, false);
    g_string_append_printf(buf,
                           "</path>\n    <format type='%s'/>\n  </target>\n",
                           cvg_disk_format_to_string(vol->format));
    if (vol->backing) {
        g_string_append(buf, "  <backingStore>\n    <path>");
        cvg_xml_escape(buf, vol->backing, false);
        g_string_append(buf, "</path>\n  </backingStore>\n");
    }
    g_string_append(buf, "</volume>\n");
    return g_string_free(buf, FALSE);
}
